//! Shared set-up for the benchmarks of `bedrock-host`: the criterion
//! benches in `benches/` and the whole-process and scale harnesses in
//! `src/bin/`. Nothing here is part of the host; it exists to be measured
//! against. `BENCHMARKS.md` at the repository root says how to run it all.
