//! `remedy sim` keeps serving when whoever read its address closed the pipe (`remedy sim | head -1`, a bench
//! that read one line): the rest of its banner is dropped, the simulator does not die of the closed pipe.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn answers(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let request = "GET /_sim/clock HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    let mut reply = String::new();
    stream.write_all(request.as_bytes()).is_ok()
        && stream.read_to_string(&mut reply).is_ok()
        && reply.contains("time_scale")
}

#[test]
fn the_simulator_outlives_a_closed_standard_output() {
    let home = tempfile::tempdir().expect("a home for its logs");
    let port = free_port();
    let mut sim = Command::new(env!("CARGO_BIN_EXE_remedy"))
        .args(["sim", "--port", &port.to_string()])
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("remedy sim starts");
    drop(sim.stdout.take());
    let started = Instant::now();
    while !answers(port) && started.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(500));
    let exited = sim.try_wait().expect("status read");
    let still_answers = answers(port);
    let _ = sim.kill();
    let _ = sim.wait();
    assert_eq!(exited, None, "the simulator died: {exited:?}");
    assert!(still_answers, "the simulator still serves");
}
