//! Downloads of data files from mirrors, checked against pinned SHA-256 checksums.
//!
//! [`ensure_files`] fetches each missing file from the first mirror that serves it intact
//! and verifies files already present. A download streams into a temporary file in the
//! target folder and is renamed into place only after its checksum matches, so the folder
//! never contains a partial or corrupt file under the final name.
//!
//! HTTP goes through `ureq` 2 with its default features, so proxy environment variables
//! such as `HTTPS_PROXY` are not read.

use std::fs::File;
use std::io::{ErrorKind, Read, Write};
use std::path::Path;
use std::time::Duration;

use sha2::{Digest, Sha256};
use tempfile::NamedTempFile;

use crate::error::{DataError, Error, Result};

/// Time allowed to open a connection to a mirror.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// Time allowed for each read of a response; a mirror that stalls longer is abandoned.
pub const READ_TIMEOUT: Duration = Duration::from_secs(60);

/// Largest response accepted, in bytes.
///
/// The largest published MNIST or Fashion-MNIST file takes 26 MB, so this 1 GiB cap only
/// stops a faulty mirror from filling the disk.
pub const MAX_DOWNLOAD_BYTES: u64 = 1 << 30;

/// Size of the buffer that streams responses and files through the hasher.
const CHUNK_BYTES: usize = 64 * 1024;

/// Returns public mirrors of the MNIST files, to be joined with the file names.
///
/// Each entry ends in `/`, so `{mirror}{name}` is the address of a file.
pub fn default_mnist_mirrors() -> &'static [&'static str] {
    &[
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ]
}

/// Returns public mirrors of the Fashion-MNIST files, to be joined with the file names.
pub fn default_fashion_mnist_mirrors() -> &'static [&'static str] {
    &["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
}

/// Makes sure that `dir` contains every file of `files`, given as `(name, sha256 in hex)`.
///
/// A file already in `dir` is verified and never downloaded again. A missing file is
/// fetched from `{mirror}{name}` for each mirror in order until one copy matches its
/// checksum, then renamed into place. The folder is created when it does not exist.
///
/// # Errors
///
/// [`DataError::Invalid`] for a name that is not a plain file name, a checksum that is not
/// 64 hexadecimal digits, or no mirrors while a file is missing. [`DataError::Format`] for
/// a file in `dir` whose checksum differs. [`DataError::AllMirrorsFailed`] when no mirror
/// served a matching copy, with each address and its failure. [`Error::Io`] when the
/// folder or a temporary file cannot be written.
pub fn ensure_files(dir: impl AsRef<Path>, files: &[(&str, &str)], mirrors: &[&str]) -> Result<()> {
    let dir = dir.as_ref();
    for &(name, sha256) in files {
        check_request(name, sha256)?;
    }
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;

    let agent = ureq::AgentBuilder::new()
        .timeout_connect(CONNECT_TIMEOUT)
        .timeout_read(READ_TIMEOUT)
        .build();
    for &(name, sha256) in files {
        let path = dir.join(name);
        if path.exists() {
            verify_existing(&path, sha256)?;
            continue;
        }
        download(&agent, dir, name, sha256, mirrors)?;
    }
    Ok(())
}

/// Rejects a name that could leave the folder and a checksum that is not SHA-256 hex.
fn check_request(name: &str, sha256: &str) -> Result<()> {
    let plain = !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\']);
    if !plain {
        let message = format!("invalid file name \"{name}\": expected a plain name such as a.gz");
        return Err(DataError::Invalid(message).into());
    }
    if sha256.len() != 64 || !sha256.chars().all(|c| c.is_ascii_hexdigit()) {
        let message =
            format!("invalid sha256 \"{sha256}\" for {name}: expected 64 hexadecimal digits");
        return Err(DataError::Invalid(message).into());
    }
    Ok(())
}

/// Checks a file already present against its checksum.
fn verify_existing(path: &Path, expected: &str) -> Result<()> {
    let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; CHUNK_BYTES];
    loop {
        let n = match file.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io(path, e)),
        };
        hasher.update(&buffer[..n]);
    }

    let got = hex(&hasher.finalize());
    if got.eq_ignore_ascii_case(expected) {
        log::debug!("{}: sha256 verified", path.display());
        return Ok(());
    }
    let message = format!(
        "sha256 is {got}, expected {}; the file is corrupt or another version, so delete it and \
         it will be downloaded again",
        expected.to_ascii_lowercase()
    );
    Err(DataError::Format {
        path: path.to_path_buf(),
        message,
    }
    .into())
}

/// Downloads `name` from the first mirror that serves a copy matching `expected`.
fn download(
    agent: &ureq::Agent,
    dir: &Path,
    name: &str,
    expected: &str,
    mirrors: &[&str],
) -> Result<()> {
    if mirrors.is_empty() {
        let message = format!(
            "{name} is missing from {} and no mirror is given",
            dir.display()
        );
        return Err(DataError::Invalid(message).into());
    }

    let mut failures = Vec::new();
    for mirror in mirrors {
        let url = format!("{mirror}{name}");
        log::debug!("downloading {url}");
        let failure = match fetch(agent, &url, dir)? {
            Ok((temp, got)) if got.eq_ignore_ascii_case(expected) => {
                let path = dir.join(name);
                temp.persist(&path).map_err(|e| Error::io(&path, e.error))?;
                log::debug!("{}: saved and verified", path.display());
                return Ok(());
            }
            Ok((_, got)) => {
                format!("sha256 {got}, expected {}", expected.to_ascii_lowercase())
            }
            Err(reason) => reason,
        };
        log::debug!("{url} failed: {failure}");
        failures.push(format!("{url}: {failure}"));
    }

    let failures = failures.join("; ");
    Err(DataError::AllMirrorsFailed {
        name: name.to_owned(),
        dir: dir.to_path_buf(),
        failures,
    }
    .into())
}

/// The outcome of one mirror: a synced temporary file with its SHA-256, or why the mirror
/// failed.
type Fetched = std::result::Result<(NamedTempFile, String), String>;

/// Streams `url` into a temporary file in `dir`, hashing it on the way.
///
/// Failures of the mirror (connection, HTTP status, a broken or oversized response) return
/// `Ok(Err(reason))` so that the caller tries the next mirror. Failures to write locally
/// return `Err`, because no other mirror can fix them.
fn fetch(agent: &ureq::Agent, url: &str, dir: &Path) -> Result<Fetched> {
    let response = match agent.get(url).call() {
        Ok(response) => response,
        Err(ureq::Error::Status(code, response)) => {
            return Ok(Err(format!("HTTP {code} {}", response.status_text())));
        }
        Err(e) => return Ok(Err(e.to_string())),
    };

    let mut temp = NamedTempFile::new_in(dir).map_err(|e| Error::io(dir, e))?;
    let mut body = response.into_reader();
    let hashed = copy_hashing(&mut body, temp.as_file_mut());
    let got = match hashed {
        Ok(Ok(got)) => got,
        Ok(Err(reason)) => return Ok(Err(reason)),
        Err(e) => return Err(Error::io(temp.path(), e)),
    };
    temp.as_file()
        .sync_all()
        .map_err(|e| Error::io(temp.path(), e))?;
    Ok(Ok((temp, got)))
}

/// Copies `body` into `file` and returns the hex SHA-256 of the bytes.
///
/// Errors reading the body, or a body over [`MAX_DOWNLOAD_BYTES`], return `Ok(Err(reason))`;
/// errors writing the file return `Err`.
fn copy_hashing(
    body: &mut impl Read,
    file: &mut File,
) -> std::io::Result<std::result::Result<String, String>> {
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; CHUNK_BYTES];
    let mut total: u64 = 0;
    loop {
        let n = match body.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => {
                return Ok(Err(format!(
                    "reading the response failed after {total} bytes ({e})"
                )))
            }
        };
        total += n as u64;
        if total > MAX_DOWNLOAD_BYTES {
            return Ok(Err(format!(
                "response larger than the maximum of {MAX_DOWNLOAD_BYTES} bytes"
            )));
        }
        hasher.update(&buffer[..n]);
        file.write_all(&buffer[..n])?;
    }
    Ok(Ok(hex(&hasher.finalize())))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::io::BufRead;
    use std::net::{SocketAddr, TcpListener, TcpStream};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    use std::thread::JoinHandle;

    /// An HTTP/1.1 server on 127.0.0.1 that serves fixed bodies by path, 404 otherwise, and
    /// records every requested path.
    struct TestServer {
        addr: SocketAddr,
        requests: Arc<Mutex<Vec<String>>>,
        stop: Arc<AtomicBool>,
        handle: Option<JoinHandle<()>>,
    }

    impl TestServer {
        fn start(routes: HashMap<String, Vec<u8>>) -> Self {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let requests = Arc::new(Mutex::new(Vec::new()));
            let stop = Arc::new(AtomicBool::new(false));
            let (log, flag) = (Arc::clone(&requests), Arc::clone(&stop));
            let handle = std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if flag.load(Ordering::SeqCst) {
                        break;
                    }
                    if let Ok(stream) = stream {
                        serve(stream, &routes, &log);
                    }
                }
            });
            TestServer {
                addr,
                requests,
                stop,
                handle: Some(handle),
            }
        }

        fn mirror(&self, prefix: &str) -> String {
            format!("http://{}/{prefix}/", self.addr)
        }

        fn requests(&self) -> Vec<String> {
            self.requests.lock().unwrap().clone()
        }
    }

    impl Drop for TestServer {
        fn drop(&mut self) {
            self.stop.store(true, Ordering::SeqCst);
            // Wakes the accept loop, so that it reads the stop flag and returns.
            let _ = TcpStream::connect(self.addr);
            if let Some(handle) = self.handle.take() {
                handle.join().unwrap();
            }
        }
    }

    fn serve(stream: TcpStream, routes: &HashMap<String, Vec<u8>>, log: &Mutex<Vec<String>>) {
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut reader = std::io::BufReader::new(&stream);
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).is_err() {
            return;
        }
        loop {
            let mut line = String::new();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) if line == "\r\n" => break,
                Ok(_) => {}
            }
        }

        let path = request_line
            .split_whitespace()
            .nth(1)
            .unwrap_or("")
            .to_owned();
        log.lock().unwrap().push(path.clone());
        let mut stream = &stream;
        let (status, body) = match routes.get(&path) {
            Some(body) => ("200 OK", body.as_slice()),
            None => ("404 Not Found", &b"not found"[..]),
        };
        let head = format!(
            "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        let _ = stream.write_all(head.as_bytes());
        let _ = stream.write_all(body);
    }

    fn sha256_hex(bytes: &[u8]) -> String {
        hex(&Sha256::digest(bytes))
    }

    /// Two files, served intact under /good/ and with one flipped byte under /bad/.
    fn fixture() -> (TestServer, Vec<(String, Vec<u8>)>) {
        let files = vec![
            (
                "a.bin".to_owned(),
                (0..5000u32)
                    .map(|i| (i * 7 % 251) as u8)
                    .collect::<Vec<u8>>(),
            ),
            ("b.bin".to_owned(), b"second file".to_vec()),
        ];
        let mut routes = HashMap::new();
        for (name, bytes) in &files {
            routes.insert(format!("/good/{name}"), bytes.clone());
            let mut corrupt = bytes.clone();
            corrupt[0] ^= 0xff;
            routes.insert(format!("/bad/{name}"), corrupt);
        }
        (TestServer::start(routes), files)
    }

    fn requests_of(files: &[(String, Vec<u8>)]) -> Vec<(String, String)> {
        files
            .iter()
            .map(|(name, bytes)| (name.clone(), sha256_hex(bytes)))
            .collect()
    }

    fn as_refs(pairs: &[(String, String)]) -> Vec<(&str, &str)> {
        pairs
            .iter()
            .map(|(n, s)| (n.as_str(), s.as_str()))
            .collect()
    }

    fn dir_entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn downloads_and_verifies() {
        let (server, files) = fixture();
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("new").join("folder");
        let pairs = requests_of(&files);
        ensure_files(&target, &as_refs(&pairs), &[&server.mirror("good")]).unwrap();

        for (name, bytes) in &files {
            assert_eq!(&std::fs::read(target.join(name)).unwrap(), bytes, "{name}");
        }
        assert_eq!(dir_entries(&target), vec!["a.bin", "b.bin"]);
        assert_eq!(server.requests(), vec!["/good/a.bin", "/good/b.bin"]);
    }

    #[test]
    fn falls_back_after_bad_mirrors() {
        let (server, files) = fixture();
        let dir = tempfile::tempdir().unwrap();
        let pairs = requests_of(&files[..1]);
        let closed = {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            format!("http://{}/", listener.local_addr().unwrap())
        };
        let mirrors = [
            closed.as_str(),
            &server.mirror("bad"),
            &server.mirror("gone"),
            &server.mirror("good"),
        ];
        ensure_files(dir.path(), &as_refs(&pairs), &mirrors).unwrap();

        assert_eq!(std::fs::read(dir.path().join("a.bin")).unwrap(), files[0].1);
        assert_eq!(
            server.requests(),
            vec!["/bad/a.bin", "/gone/a.bin", "/good/a.bin"]
        );
        assert_eq!(dir_entries(dir.path()), vec!["a.bin"]);
    }

    #[test]
    fn mismatch_on_all_mirrors_leaves_nothing() {
        let (server, files) = fixture();
        let dir = tempfile::tempdir().unwrap();
        let pairs = requests_of(&files[..1]);
        let mirrors = [server.mirror("bad"), server.mirror("gone")];
        let mirrors: Vec<&str> = mirrors.iter().map(String::as_str).collect();
        let err = ensure_files(dir.path(), &as_refs(&pairs), &mirrors).unwrap_err();

        let text = err.to_string();
        let mut corrupt = files[0].1.clone();
        corrupt[0] ^= 0xff;
        assert!(
            matches!(err, Error::Data(DataError::AllMirrorsFailed { .. })),
            "{err:?}"
        );
        assert!(
            text.contains(&format!("sha256 {}", sha256_hex(&corrupt))),
            "{text}"
        );
        assert!(text.contains(&format!("expected {}", pairs[0].1)), "{text}");
        assert!(text.contains("/gone/a.bin: HTTP 404"), "{text}");
        assert!(
            dir_entries(dir.path()).is_empty(),
            "{:?}",
            dir_entries(dir.path())
        );
    }

    #[test]
    fn existing_correct_file_sends_no_request() {
        let (server, files) = fixture();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.bin"), &files[0].1).unwrap();
        let pairs = requests_of(&files[..1]);
        ensure_files(dir.path(), &as_refs(&pairs), &[&server.mirror("good")]).unwrap();
        assert!(server.requests().is_empty(), "{:?}", server.requests());
    }

    #[test]
    fn existing_corrupt_file_rejected() {
        let (server, files) = fixture();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.bin"), b"stale").unwrap();
        let pairs = requests_of(&files[..1]);
        let err = ensure_files(dir.path(), &as_refs(&pairs), &[&server.mirror("good")]);
        let text = err.unwrap_err().to_string();

        assert!(
            text.contains(&format!("sha256 is {}", sha256_hex(b"stale"))),
            "{text}"
        );
        assert!(text.contains(&format!("expected {}", pairs[0].1)), "{text}");
        assert!(text.contains("delete it"), "{text}");
        assert!(server.requests().is_empty(), "{:?}", server.requests());
        assert_eq!(std::fs::read(dir.path().join("a.bin")).unwrap(), b"stale");
    }

    #[test]
    fn invalid_requests_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let good_sha = "0".repeat(64);
        let cases = [
            ("../a.bin", good_sha.as_str(), "invalid file name"),
            ("a/b.bin", good_sha.as_str(), "invalid file name"),
            ("a.bin", "abc", "invalid sha256"),
            ("a.bin", &"g".repeat(64), "invalid sha256"),
        ];
        for (name, sha, expected) in cases {
            let text = ensure_files(dir.path(), &[(name, sha)], &[])
                .unwrap_err()
                .to_string();
            assert!(text.contains(expected), "{name} {sha}: {text}");
        }
        let text = ensure_files(dir.path(), &[("a.bin", &good_sha)], &[])
            .unwrap_err()
            .to_string();
        assert!(text.contains("no mirror"), "{text}");
    }

    #[test]
    fn default_mirrors_end_with_slash() {
        let mirrors = default_mnist_mirrors();
        assert!(!mirrors.is_empty());
        for mirror in mirrors {
            assert!(
                mirror.starts_with("https://") && mirror.ends_with('/'),
                "{mirror}"
            );
        }
    }
}
