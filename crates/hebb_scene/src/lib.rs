//! # hebb_scene — RON scene files (skeleton: filled in by the scenes work)
