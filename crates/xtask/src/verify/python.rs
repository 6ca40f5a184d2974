//! Python: a fresh virtual environment installs `keyseat` from the dist folder alone
//! (`--no-index`), runs the example flow, then the package's own pytest suite against that
//! installation.

use crate::cmd::Cmd;
use crate::error::{Result, bail};

use super::emulator::PYTHON_KEY;
use super::{Context, PRODUCT, check_flow};

/// The Python that makes the virtual environment: `python3`.
const PYTHON: &str = "python3";

pub fn verify(cx: &Context<'_>) -> Result<()> {
    let venv = cx.fresh("venv")?;
    Cmd::new(PYTHON).args(["-m", "venv"]).arg(&venv).run()?;
    let python = venv.join("bin/python");
    Cmd::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-index",
            "--find-links",
        ])
        .arg(&cx.opts.dist)
        .arg("keyseat")
        .run()?;
    let installed = Cmd::new(&python)
        .args(["-c", "import keyseat; print(keyseat.__file__)"])
        .dir(&cx.scratch)
        .read()?;
    if !installed.trim().starts_with(&*venv.to_string_lossy()) {
        bail!("keyseat was imported from {installed}, not the virtual environment");
    }
    let data = cx.fresh("python-data")?;
    let out = Cmd::new(&python)
        .arg(cx.file("examples/python/activate_with_package.py"))
        .env("KS_BASE_URL", &cx.emulator.url)
        .env("KS_DATA_DIR", &data)
        .env("KS_KEY", PYTHON_KEY)
        .env("KS_PRODUCT_ID", PRODUCT)
        .dir(&cx.scratch)
        .read()?;
    print!("{out}");
    check_flow(&out, PYTHON_KEY, true)?;

    // The package's own suite, against the installed package, the shipped emulator and
    // licensectl. Its tools come from PyPI; keyseat itself does not.
    Cmd::new(&python)
        .args(["-m", "pip", "install", "--quiet", "pytest", "mypy"])
        .run()?;
    Cmd::new(&python)
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
        .arg(cx.file("crates/keyseat-py/tests"))
        .env("KEYSEAT_EMULATOR", cx.cli.join("keyseat-emulator"))
        .env("LICENSECTL", cx.cli.join("licensectl"))
        .envs(cx.relay_binary().map(|r| ("KEYSEAT_RELAY", r)))
        .dir(&cx.scratch)
        .run()?;
    // Its startup benchmark, on what users install.
    Cmd::new(&python)
        .arg(cx.file("crates/keyseat-py/bench/startup.py"))
        .env("KEYSEAT_EMULATOR", cx.cli.join("keyseat-emulator"))
        .dir(&cx.scratch)
        .run()
}
