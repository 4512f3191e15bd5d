//! Says whether a PostgreSQL server is available to the tests of the PostgreSQL store, so that a
//! test which cannot run shows as `ignored` (with the reason and how to start one) in `cargo
//! test`'s summary instead of passing quietly:
//!
//! | cfg | missing | tests |
//! |---|---|---|
//! | `padlock_no_postgres` | `PADLOCK_TEST_POSTGRES` (a `postgres://` URL) | the PostgreSQL store |
//!
//! `eval "$(.ci/postgres start)"` starts a throwaway cluster and sets the variable. Under
//! `CI=true` the cfg is never set: there every test runs, and one without the variable fails
//! saying so.

fn main() {
    println!("cargo::rerun-if-env-changed=PADLOCK_TEST_POSTGRES");
    println!("cargo::rerun-if-env-changed=CI");
    println!("cargo::rustc-check-cfg=cfg(padlock_no_postgres)");
    let ci = std::env::var("CI").as_deref() == Ok("true");
    if !ci && std::env::var_os("PADLOCK_TEST_POSTGRES").is_none() {
        println!("cargo::rustc-cfg=padlock_no_postgres");
    }
}
