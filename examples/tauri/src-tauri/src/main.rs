//! The example app of tauri-plugin-keyseat: the license state, activation, deactivation
//! and the trial, in a window with plain HTML and JavaScript (`examples/tauri`).
//!
//! Run against the emulator: `keyseat-emulator --keys keys.json`, then
//! `KEYSEAT_BASE_URL=http://127.0.0.1:PORT cargo run --manifest-path
//! examples/tauri/src-tauri/Cargo.toml`.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    tauri::Builder::default()
        .plugin(keyseat_tauri_example::licensing())
        .run(tauri::generate_context!())
        .expect("the app runs");
}
