//! Synthetic data generator (being written).
