//! `cargo xtask test`: every step `make test` runs, each counted, with a summary.

use super::*;

/// One step of the test run and what it reported.
pub(crate) struct Step {
    name: &'static str,
    seconds: f64,
    tests: u64,
}

/// Runs `cmd`, echoing its output, and counts the tests it reports
/// (cargo's "test result: ok. N passed" and node's "# pass N").
pub(crate) fn run_counting(name: &'static str, cmd: &mut Command, steps: &mut Vec<Step>) -> Result {
    println!("\n==> {name}");
    let started = Instant::now();
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("{name}: cannot start: {e}"))?;
    let mut tests = 0;
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout)
            .lines()
            .map_while(std::result::Result::ok)
        {
            println!("{line}");
            let passed = line
                .strip_prefix("test result: ok. ")
                .and_then(|rest| rest.split(' ').next())
                .or_else(|| line.strip_prefix("# pass "))
                .or_else(|| line.strip_prefix("ℹ pass "));
            tests += passed
                .and_then(|n| n.trim().parse::<u64>().ok())
                .unwrap_or(0);
        }
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    if !status.success() {
        return Err(format!("{name} failed ({status})"));
    }
    steps.push(Step {
        name,
        seconds: started.elapsed().as_secs_f64(),
        tests,
    });
    Ok(())
}

/// Like [`run_counting`] for a step that runs tests: a step that reports none failed to
/// find or run them (a filter that matches nothing, a target that built no tests), so it
/// fails rather than passing unseen.
pub(crate) fn run_tests(name: &'static str, cmd: &mut Command, steps: &mut Vec<Step>) -> Result {
    run_counting(name, cmd, steps)?;
    ran_some(steps.last().map_or(0, |s| s.tests), name)
}

pub(crate) fn ran_some(tests: u64, name: &str) -> Result {
    if tests == 0 {
        return Err(format!(
            "{name} ran no tests: the step reported success but nothing was tested"
        ));
    }
    Ok(())
}

/// `make test` checks expectations, never rewrites them: the fixture suites write their
/// outputs when UPDATE_FIXTURES=1, so a run with it set would pass whatever the code does.
pub(crate) fn refuse_update_mode(value: Option<std::ffi::OsString>) -> Result {
    match value {
        Some(v) => Err(format!(
            "UPDATE_FIXTURES is set ({v:?}): `make test` never runs in update mode. Fix: \
             unset it; to rewrite fixtures run `UPDATE_FIXTURES=1 cargo test -p \
             leadmagnet-core --test fixtures` and read the diff."
        )),
        None => Ok(()),
    }
}

pub(crate) fn free_port() -> Result<u16> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

/// A collector for the wasm tests: started from the built binary with a throwaway
/// database, stopped (killed) when dropped.
pub(crate) struct Collector {
    child: Child,
    url: String,
    _dir: TempDir,
}

impl Drop for Collector {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// The local PostgreSQL cluster (Debian's `postgresql` package) for the store's tests:
/// started if it was down, a `leadmagnet` role with CREATEDB made once, stopped on drop if
/// this run started it.
pub(crate) struct Postgres {
    pub(crate) url: String,
    started: Option<(String, String)>,
}

impl Postgres {
    pub(crate) fn start() -> Result<Postgres> {
        let root = output(Command::new("id").arg("-u")).is_some_and(|u| u.trim() == "0");
        let as_root = |args: &[&str]| {
            let mut cmd = if root {
                Command::new(args[0])
            } else {
                let mut c = Command::new("sudo");
                c.arg(args[0]);
                c
            };
            cmd.args(&args[1..]);
            cmd
        };
        let clusters =
            || output(Command::new("pg_lsclusters").arg("--no-header")).unwrap_or_default();
        if clusters().trim().is_empty() {
            // The package was installed without a cluster (no init system): make one.
            let version = fs::read_dir("/usr/lib/postgresql")
                .map_err(|e| format!("PostgreSQL is not installed ({e}): run `make bootstrap`"))?
                .flatten()
                .filter_map(|e| e.file_name().into_string().ok())
                .max_by_key(|v| v.parse::<u32>().unwrap_or(0))
                .ok_or("no PostgreSQL version in /usr/lib/postgresql: run `make bootstrap`")?;
            run(&mut as_root(&["pg_createcluster", &version, "main"]))?;
        }
        let list = clusters();
        let fields: Vec<&str> = list
            .lines()
            .next()
            .unwrap_or("")
            .split_whitespace()
            .collect();
        let [version, cluster, port, status, ..] = fields[..] else {
            return Err(format!("cannot read pg_lsclusters: {list:?}"));
        };
        let mut started = None;
        if status != "online" {
            println!("postgres: starting cluster {version}/{cluster} on port {port}");
            run(&mut as_root(&["pg_ctlcluster", version, cluster, "start"]))?;
            started = Some((version.to_owned(), cluster.to_owned()));
        }
        let role = "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'leadmagnet') \
                    THEN CREATE ROLE leadmagnet LOGIN CREATEDB PASSWORD 'leadmagnet'; END IF; END $$;";
        // No shell in between: the statement's `$$` must reach psql as written.
        let mut psql = if root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--", "psql", "-q", "-p", port, "-c", role]);
            c
        } else {
            let mut c = Command::new("sudo");
            c.args(["-u", "postgres", "psql", "-q", "-p", port, "-c", role]);
            c
        };
        let made = run(&mut psql);
        let postgres = Postgres {
            url: format!("postgres://leadmagnet:leadmagnet@127.0.0.1:{port}/postgres"),
            started,
        };
        made.map(|()| postgres)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if let Some((version, cluster)) = self.started.take() {
            let root = output(Command::new("id").arg("-u")).is_some_and(|u| u.trim() == "0");
            let mut stop = if root {
                Command::new("pg_ctlcluster")
            } else {
                let mut c = Command::new("sudo");
                c.arg("pg_ctlcluster");
                c
            };
            let _ = stop
                .args([version.as_str(), cluster.as_str(), "stop"])
                .status();
        }
    }
}

/// Starts `leadmagnet serve …` (`cmd`), reads the URL from the first line it prints, and
/// keeps draining its output so it never blocks on a full pipe.
pub(crate) fn spawn_collector(cmd: &mut Command) -> Result<(std::process::Child, String)> {
    let mut child = cmd
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {:?}: {e}", cmd.get_program()))?;
    let mut stdout = child.stdout.take().ok_or("collector has no stdout")?;
    let mut first = Vec::new();
    let mut byte = [0u8; 1];
    while stdout.read(&mut byte).map_err(|e| e.to_string())? == 1 && byte[0] != b'\n' {
        first.push(byte[0]);
    }
    let line = String::from_utf8_lossy(&first).into_owned();
    let Some(url) = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .map(|u| u.trim_end_matches('/').to_owned())
    else {
        let _ = child.kill();
        return Err(format!("collector did not print its URL: {line:?}"));
    };
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut stdout, &mut std::io::sink());
    });
    Ok((child, url))
}

pub(crate) fn start_collector(allow_origin: &str) -> Result<Collector> {
    let dir = env::temp_dir().join(format!("leadmagnet-xtask-{}", std::process::id()));
    fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let dir = TempDir(dir);
    let (child, url) = spawn_collector(
        Command::new("target/debug/leadmagnet")
            .args(["serve", "--port", "0", "--allow-origin", allow_origin])
            .env(
                "LEADMAGNET_ADMIN_TOKEN",
                "xtask-wasm-tests-token-0123456789",
            )
            .env(
                "DATABASE_URL",
                format!("sqlite://{}/leads.db", dir.0.display()),
            ),
    )?;
    Ok(Collector {
        child,
        url,
        _dir: dir,
    })
}

pub(crate) fn test() -> Result {
    refuse_update_mode(std::env::var_os("UPDATE_FIXTURES"))?;
    let started = Instant::now();
    let mut steps = Vec::new();
    let cargo = || Command::new("cargo");

    run_counting(
        "format (cargo fmt --check)",
        cargo().args(["fmt", "--all", "--", "--check"]),
        &mut steps,
    )?;
    run_counting(
        "lints, native (clippy -D warnings)",
        cargo().args([
            "clippy",
            "--quiet",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]),
        &mut steps,
    )?;
    // Both widget builds: the default one and the full one (feature `full`).
    for (name, features) in [
        ("lints, widget on wasm32 (clippy -D warnings)", "hydrate"),
        ("lints, full widget on wasm32 (clippy -D warnings)", "full"),
    ] {
        run_counting(
            name,
            cargo().args([
                "clippy",
                "--quiet",
                "-p",
                "leadmagnet-widget",
                "--features",
                features,
                "--target",
                "wasm32-unknown-unknown",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ]),
            &mut steps,
        )?;
    }
    run_counting(
        "vendored yew = yew 0.23.0 from crates.io + crates/yew/patches",
        cargo().args(["xtask", "yew", "check"]),
        &mut steps,
    )?;
    // PostgreSQL on 127.0.0.1 for the store's tests; stopped again when this run ends
    // (if this run started it).
    let postgres = Postgres::start()?;
    run_tests(
        "native tests: core, server (SQLite and PostgreSQL), widget, xtask",
        cargo()
            .args(["test", "--workspace"])
            .env("LEADMAGNET_TEST_POSTGRES", &postgres.url),
        &mut steps,
    )?;
    // The HTTP API's tests again, each collector on a PostgreSQL database of its own.
    run_tests(
        "API, rendered-form, analytics and studio tests on PostgreSQL",
        cargo()
            .args([
                "test",
                "-p",
                "leadmagnet-server",
                "--test",
                "api",
                "--test",
                "rendered",
                "--test",
                "analytics",
                "--test",
                "studio",
            ])
            .env("LEADMAGNET_TEST_POSTGRES", &postgres.url)
            .env("LEADMAGNET_TEST_API_ON", "postgres"),
        &mut steps,
    )?;
    drop(postgres);

    // What stays JavaScript, tested as code: the outbox's and the behaviour record's rules
    // and the loader's failure messages (src/js/*.mjs).
    run_tests(
        "JavaScript unit tests (node --test)",
        Command::new("node").args(["--test", "--test-reporter=tap", "tests/js/"]),
        &mut steps,
    )?;

    println!("\n==> widget build and byte budget");
    widget()?;
    size(true)?;

    run(cargo().args([
        "build",
        "--quiet",
        "-p",
        "leadmagnet-server",
        "--bin",
        "leadmagnet",
    ]))?;
    // The wasm tests POST to a real collector; it must grant CORS to the test page, so
    // the test runner gets a fixed address.
    let runner_addr = format!("127.0.0.1:{}", free_port()?);
    let collector = start_collector(&format!("http://{runner_addr}"))?;
    run_tests(
        "widget tests in headless Chromium (wasm-bindgen-test)",
        cargo()
            .args([
                "test",
                "-p",
                "leadmagnet-widget",
                "--features",
                "hydrate",
                "--target",
                "wasm32-unknown-unknown",
            ])
            .env("LEADMAGNET_TEST_COLLECTOR", &collector.url)
            .env("WASM_BINDGEN_TEST_ADDRESS", &runner_addr)
            .env("WASM_BINDGEN_TEST_TIMEOUT", "60")
            .env("CHROMEDRIVER", "/usr/bin/chromedriver"),
        &mut steps,
    )?;
    drop(collector);

    run_tests(
        "end-to-end in headless Chromium (playwright-core)",
        Command::new("node")
            .args([
                "--test",
                "--test-reporter=tap",
                "--test-concurrency=1",
                // A test that never settles (a server left open) fails rather than hangs.
                // Each file also counts as one test here: the longest (experiences, with
                // ~500 naughty strings) takes about three minutes on the 2-core machine.
                "--test-timeout=420000",
                "tests/e2e/",
            ])
            .env("LEADMAGNET_BIN", "target/debug/leadmagnet"),
        &mut steps,
    )?;

    println!("\n==> summary");
    let mut total = 0;
    for step in &steps {
        total += step.tests;
        let count = if step.tests > 0 {
            format!("{} tests passed", step.tests)
        } else {
            "passed".into()
        };
        println!("  {:<52} {:>20} {:>7.1} s", step.name, count, step.seconds);
    }
    println!(
        "  {total} tests passed in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_test_step_that_ran_nothing_fails() {
        assert!(ran_some(0, "end-to-end").is_err_and(|e| e.contains("ran no tests")));
        assert!(ran_some(1, "end-to-end").is_ok());
        // What a step reports is counted from its own lines: cargo's and node's.
        let mut steps = Vec::new();
        let quiet = run_tests(
            "a step that runs nothing",
            Command::new("sh").args(["-c", "echo 'test result: ok. 0 passed; 0 failed'"]),
            &mut steps,
        );
        assert!(quiet.is_err_and(|e| e.contains("ran no tests")));
        let counted = run_tests(
            "a step that runs three",
            Command::new("sh").args([
                "-c",
                "echo 'test result: ok. 2 passed; 0 failed'; echo '# pass 1'",
            ]),
            &mut steps,
        );
        assert!(counted.is_ok());
        assert_eq!(steps.last().map(|s| s.tests), Some(3));
    }

    #[test]
    fn make_test_refuses_update_mode_whatever_its_value() {
        assert!(refuse_update_mode(None).is_ok());
        for value in ["1", "0", ""] {
            assert!(refuse_update_mode(Some(value.into()))
                .is_err_and(|e| e.contains("never runs in update mode")));
        }
    }

    #[test]
    fn the_loaders_keys_and_bounds_are_the_cores() {
        std::env::set_current_dir(root()).expect("root");
        let generated = leadmagnet_core::record::loader_contract();
        assert_eq!(
            fs::read_to_string(CONTRACT).expect("contract"),
            generated,
            "{CONTRACT} is not what the core says: run `cargo xtask contract`"
        );
        assert!(generated.contains("\"leadmagnet:v1\"") && generated.contains("MAX_EVENTS = 100;"));
        // Nothing in the loader's JavaScript names them itself.
        for file in ["src/loader.js", "src/outbox.js", "src/js/record.mjs"] {
            let text = fs::read_to_string(file).expect(file);
            for own in [
                "\"leadmagnet:v1\"",
                "\"leadmagnet:activity:v1\"",
                "864e5",
                "6e4",
            ] {
                assert!(!text.contains(own), "{file} names {own} itself");
            }
        }
    }
}
