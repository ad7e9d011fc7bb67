//! Merging the saved state of the ranks of a distributed run into the state one process would
//! have saved (used by `hebb_mpi` for snapshots taken with several ranks).
//!
//! Each rank's state is right for the neurons it owns (their membranes, synapse state, the
//! weights of their incoming synapses) and for what every rank computes in full (inputs,
//! delay lines, presynaptic state). A saved component is decoded from each rank, turned into a
//! self-describing value tree, and combined by a [`MergeRule`]: an array whose length says it is
//! indexed by neuron or synapse (the rule knows the owning rank of each entry) takes each entry
//! from its owner; any other value is taken from rank 0, after combining its parts the same
//! way; integers may be summed instead (spike counts). Floating-point values pass through
//! unchanged (an `f32` is widened to `f64` and back), so the merged state is bit for bit the
//! owners' values.

use ciborium::Value;
use ciborium::value::Integer;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// How the ranks' values of one saved component are combined.
pub struct MergeRule<'a> {
    /// For an array of `len` entries, the rank owning entry `i` (`owner(len, i)`), when arrays
    /// of that length are per-neuron or per-synapse state of this entity; `None` for arrays
    /// every rank holds alike (then rank 0's is taken, its entries merged in turn).
    pub owner: &'a dyn Fn(usize, usize) -> Option<usize>,
    /// Sum the integers of all ranks (e.g. spike counts, which each rank keeps for its own
    /// neurons) instead of taking rank 0's.
    pub sum_integers: bool,
}

/// Decode `T` from each rank's postcard bytes, merge by `rule`, encode the result.
pub(crate) fn merge_encoded<T: Serialize + DeserializeOwned>(
    parts: &[&[u8]],
    rule: &MergeRule<'_>,
) -> Result<Vec<u8>, String> {
    let values = parts
        .iter()
        .map(|bytes| {
            let value: T = postcard::from_bytes(bytes).map_err(|e| e.to_string())?;
            Value::serialized(&value).map_err(|e| e.to_string())
        })
        .collect::<Result<Vec<_>, String>>()?;
    if values.is_empty() {
        return Err("no rank's state to merge".into());
    }
    let merged: T = merge_values(values, rule)
        .deserialized()
        .map_err(|e| e.to_string())?;
    postcard::to_allocvec(&merged).map_err(|e| e.to_string())
}

/// Combine one value of every rank (rank order; at least one).
fn merge_values(mut parts: Vec<Value>, rule: &MergeRule<'_>) -> Value {
    let ranks = parts.len();
    match &parts[0] {
        Value::Array(first) => {
            let len = first.len();
            if !parts
                .iter()
                .all(|p| matches!(p, Value::Array(a) if a.len() == len))
            {
                // Lists whose lengths differ between ranks are not per-neuron state.
                return parts.swap_remove(0);
            }
            let mut columns: Vec<std::vec::IntoIter<Value>> = parts
                .into_iter()
                .map(|p| match p {
                    Value::Array(a) => a.into_iter(),
                    _ => Vec::new().into_iter(),
                })
                .collect();
            let per_entry = len > 0 && (rule.owner)(len, 0).is_some();
            let mut out = Vec::with_capacity(len);
            for i in 0..len {
                let entry: Vec<Value> = columns.iter_mut().filter_map(Iterator::next).collect();
                out.push(if per_entry {
                    let owner = (rule.owner)(len, i).unwrap_or(0).min(ranks - 1);
                    entry.into_iter().nth(owner).unwrap_or(Value::Null)
                } else {
                    merge_values(entry, rule)
                });
            }
            Value::Array(out)
        }
        Value::Map(first) => {
            let len = first.len();
            if !parts
                .iter()
                .all(|p| matches!(p, Value::Map(m) if m.len() == len))
            {
                return parts.swap_remove(0);
            }
            let mut maps: Vec<std::vec::IntoIter<(Value, Value)>> = parts
                .into_iter()
                .map(|p| match p {
                    Value::Map(m) => m.into_iter(),
                    _ => Vec::new().into_iter(),
                })
                .collect();
            let mut out = Vec::with_capacity(len);
            for _ in 0..len {
                let mut entry = maps.iter_mut().filter_map(Iterator::next);
                let Some((key, first_value)) = entry.next() else {
                    break;
                };
                let mut values = vec![first_value];
                values.extend(entry.map(|(_, v)| v));
                out.push((key, merge_values(values, rule)));
            }
            Value::Map(out)
        }
        Value::Tag(tag, _) => {
            let tag = *tag;
            let inner = parts
                .into_iter()
                .map(|p| match p {
                    Value::Tag(_, v) => *v,
                    other => other,
                })
                .collect();
            Value::Tag(tag, Box::new(merge_values(inner, rule)))
        }
        Value::Integer(_) if rule.sum_integers => {
            let total: i128 = parts
                .iter()
                .map(|p| match p {
                    Value::Integer(i) => i128::from(*i),
                    _ => 0,
                })
                .sum();
            Integer::try_from(total).map_or_else(|_| parts.swap_remove(0), Value::Integer)
        }
        _ => parts.swap_remove(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
    struct State {
        v: Vec<f32>,
        pre: Vec<f32>,
        lists: Vec<Vec<u32>>,
        count: u64,
        mode: Option<(u8, f64)>,
    }

    #[test]
    fn per_neuron_arrays_come_from_their_owners_and_the_rest_from_rank_0() {
        // 5 neurons: rank 0 owns 0..2, rank 1 owns 2..5.
        let rank = |r: usize| State {
            v: (0..5).map(|i| (10 * r + i) as f32 + 0.1).collect(),
            pre: vec![r as f32; 3],
            lists: vec![vec![r as u32], vec![]],
            count: 3 + r as u64,
            mode: Some((r as u8, f64::NAN)),
        };
        let owner = |len: usize, i: usize| (len == 5).then_some(usize::from(i >= 2));
        let bytes: Vec<Vec<u8>> = (0..2)
            .map(|r| postcard::to_allocvec(&rank(r)).unwrap())
            .collect();
        let parts: Vec<&[u8]> = bytes.iter().map(Vec::as_slice).collect();
        for sum in [false, true] {
            let rule = MergeRule {
                owner: &owner,
                sum_integers: sum,
            };
            let merged: State =
                postcard::from_bytes(&merge_encoded::<State>(&parts, &rule).unwrap()).unwrap();
            let v: Vec<f32> = vec![0.1, 1.1, 12.1, 13.1, 14.1];
            assert_eq!(
                merged.v.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                v.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
            );
            assert_eq!(merged.pre, vec![0.0; 3]);
            // Summing applies to every integer of the component (meant for counts).
            assert_eq!(merged.lists, vec![vec![u32::from(sum)], vec![]]);
            assert_eq!(merged.count, if sum { 7 } else { 3 });
            let (m, nan) = merged.mode.unwrap();
            assert_eq!(m, if sum { 1 } else { 0 });
            assert!(nan.is_nan());
        }
    }
}
