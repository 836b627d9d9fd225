//! A TCP proxy in front of a real server (Redis), so a test can make that
//! server go away (`stop`: connections dropped, new ones refused) or go
//! silent (`hang`: requests swallowed, nothing answered) mid-test.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

pub struct Proxy {
    pub addr: SocketAddr,
    hang: Arc<AtomicBool>,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
    accept: JoinHandle<()>,
}

impl Proxy {
    pub async fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("proxy address");
        let hang = Arc::new(AtomicBool::new(false));
        let tasks: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let (h, t) = (hang.clone(), tasks.clone());
        let accept = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = TcpStream::connect(upstream).await else {
                    continue;
                };
                let task = tokio::spawn(pipe(client, server, h.clone()));
                t.lock().expect("proxy lock").push(task);
            }
        });
        Proxy {
            addr,
            hang,
            tasks,
            accept,
        }
    }

    /// Requests are read and dropped: the server seems alive but never answers.
    pub fn hang(&self) {
        self.hang.store(true, Ordering::SeqCst);
    }

    /// The server is gone: open connections close, new ones are refused.
    pub fn stop(&self) {
        self.accept.abort();
        for task in self.tasks.lock().expect("proxy lock").drain(..) {
            task.abort();
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn pipe(client: TcpStream, server: TcpStream, hang: Arc<AtomicBool>) {
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let up = async {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = match client_read.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if hang.load(Ordering::SeqCst) {
                continue;
            }
            if server_write.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
    };
    let down = tokio::io::copy(&mut server_read, &mut client_write);
    tokio::select! {
        _ = up => {}
        _ = down => {}
    }
}
