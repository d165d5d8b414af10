//! Empty: this package only pins the crates whose C sources `bench/corpus/build.sh` compiles.
