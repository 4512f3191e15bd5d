//! The Padlock device simulator (being built: see the simulator issue).

fn main() {
    eprintln!("padlock-simulator is being built; see the simulator issue");
    std::process::exit(1);
}
