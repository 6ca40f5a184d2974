//! The plugin driven through Tauri's IPC layer, headless (Tauri's mock runtime), with this
//! app's own configuration and capabilities (`keyseat:default`), against the emulator: every
//! command, one the capability does not grant refused, the status event, the background
//! revalidation, and the license surviving a restart of the app.

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use keyseat::KeyStorage;
use keyseat::api::Environment;
use keyseat_emulator::{Emulator, KeySpec};
use serde_json::{Value, json};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder};
use tauri::webview::InvokeRequest;
use tauri::{App, Listener, Manager, WebviewWindow, WebviewWindowBuilder};

const KEY: &str = "TAURI-EXAMPLE-KEY-0001-abcdef";

/// This app, on the mock runtime, its Licensor against `url` in `dir`.
fn app(
    url: &str,
    dir: &Path,
    watch: Option<Duration>,
) -> (App<MockRuntime>, WebviewWindow<MockRuntime>) {
    let licensor = keyseat_tauri_example::licensor()
        .environment(Environment::Custom(url.to_owned()))
        .data_dir(dir)
        .key_storage(KeyStorage::File);
    let app = mock_builder()
        .plugin(
            tauri_plugin_keyseat::Builder::new(licensor)
                .watch_every(watch)
                .build(),
        )
        .build(tauri::generate_context!())
        .expect("the app builds");
    let window = match app.get_webview_window("main") {
        Some(window) => window,
        None => WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .expect("the main window"),
    };
    (app, window)
}

/// Invokes `plugin:keyseat|<command>` from the window, as the web side does.
fn invoke(window: &WebviewWindow<MockRuntime>, command: &str, args: Value) -> Result<Value, Value> {
    let answer = get_ipc_response(
        window,
        InvokeRequest {
            cmd: format!("plugin:keyseat|{command}"),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            // The page the window shows: the app's own (tauri://localhost, or
            // http://tauri.localhost on Windows), which the capability grants.
            url: window.url().expect("the window's URL"),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_owned(),
        },
    )?;
    let value: Value = answer.deserialize().expect("a JSON answer");
    assert!(
        !value.to_string().contains(KEY),
        "{command} returned the key"
    );
    Ok(value)
}

fn emulator() -> Emulator {
    Emulator::start(vec![KeySpec::new(KEY).with_limit(2)]).unwrap()
}

#[test]
fn every_command_through_the_ipc_layer() {
    let emu = emulator();
    let dir = tempfile::tempdir().unwrap();
    let (app, window) = app(&emu.url(), dir.path(), None);
    let (tx, rx) = mpsc::channel();
    app.listen_any(tauri_plugin_keyseat::STATUS_CHANGED, move |event| {
        let _ = tx.send(event.payload().to_owned());
    });

    let status = invoke(&window, "status", json!({})).unwrap();
    assert_eq!(status["state"], "not_activated", "{status}");
    let fingerprint = invoke(&window, "fingerprint", json!({})).unwrap();
    assert_eq!(fingerprint.as_str().unwrap().len(), 64);

    let active = invoke(&window, "activate", json!({ "key": KEY })).unwrap();
    assert_eq!(
        (&active["state"], &active["licensed"]),
        (&json!("active"), &json!(true))
    );
    assert!(
        active["keyHint"].as_str().unwrap().starts_with("****"),
        "{active}"
    );
    let heard: Value =
        serde_json::from_str(&rx.recv_timeout(Duration::from_secs(5)).unwrap()).unwrap();
    assert_eq!(heard["state"], "active", "the web side hears the change");
    assert_eq!(emu.instances_of(KEY).len(), 1);

    // Dodo cannot list seats: a typed refusal, as in every other binding.
    let refused = invoke(&window, "seats", json!({})).unwrap_err();
    assert_eq!(refused["code"], "UNSUPPORTED", "{refused}");
    // A bad key is a typed error, not a panic.
    let bad = invoke(&window, "activate", json!({ "key": "" })).unwrap_err();
    assert_eq!(bad["code"], "INVALID_INPUT", "{bad}");

    let outcome = invoke(&window, "deactivate", json!({})).unwrap();
    assert_eq!(outcome, "slot_freed");
    assert!(emu.instances_of(KEY).is_empty());
    let trial = invoke(&window, "start_trial", json!({})).unwrap();
    assert_eq!(trial["state"], "trial", "{trial}");
    assert!(trial["trialEndsAt"].is_string());
}

#[test]
fn a_command_the_capability_does_not_grant_is_refused() {
    let emu = emulator();
    let dir = tempfile::tempdir().unwrap();
    let (_app, window) = app(&emu.url(), dir.path(), None);
    invoke(&window, "activate", json!({ "key": KEY })).unwrap();
    let instance = emu.instances_of(KEY)[0].id.clone();
    // keyseat:default leaves out freeing another machine's seat.
    let refused = invoke(
        &window,
        "release_instance",
        json!({ "key": KEY, "instanceId": instance }),
    )
    .unwrap_err();
    assert!(refused.to_string().contains("not allowed"), "{refused}");
    assert_eq!(emu.instances_of(KEY).len(), 1, "the seat is untouched");
}

#[test]
fn the_license_survives_a_restart_of_the_app() {
    let emu = emulator();
    let dir = tempfile::tempdir().unwrap();
    {
        let (app, window) = app(&emu.url(), dir.path(), None);
        invoke(&window, "activate", json!({ "key": KEY })).unwrap();
        app.cleanup_before_exit();
    }
    emu.stop();
    let (_app, window) = app(&emu.url(), dir.path(), None);
    let status = invoke(&window, "status", json!({})).unwrap();
    assert_eq!(
        (&status["state"], &status["networkUsed"]),
        (&json!("active"), &json!(false)),
        "{status}"
    );
}

#[test]
fn the_background_revalidation_tells_the_web_side() {
    let emu = emulator();
    let dir = tempfile::tempdir().unwrap();
    let (tx, rx) = mpsc::channel();
    let (app, _window) = app(&emu.url(), dir.path(), Some(Duration::from_millis(50)));
    app.listen_any(tauri_plugin_keyseat::STATUS_CHANGED, move |event| {
        let _ = tx.send(event.payload().to_owned());
    });
    // The app's own Rust code activates, through the same Licensor (KeyseatExt): the watch
    // sees the new state and tells the web side.
    use tauri_plugin_keyseat::KeyseatExt as _;
    app.keyseat().licensor().activate(KEY).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let heard: Value = serde_json::from_str(&rx.recv_timeout(left).expect("an event")).unwrap();
        if heard["state"] == "active" {
            assert!(!heard.to_string().contains(KEY));
            break;
        }
    }
    app.cleanup_before_exit();
}
