"""Candidate filtering (numpy), per-request ranking (CP-SAT), the nightly batch, explanations and the
solver-free validator. Pure: takes snapshots, returns results; never touches a database or HTTP."""
