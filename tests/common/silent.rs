//! An upstream that accepts TCP and never answers (a hung server).

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// Listens on loopback and holds every accepted socket open without reading or writing.
/// Returns `http://addr` and a receiver of the held sockets (one per connection made).
pub async fn silent_upstream() -> (String, mpsc::Receiver<TcpStream>) {
    let silent = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base_url = format!("http://{}", silent.local_addr().expect("addr"));
    let (held_tx, held) = mpsc::channel(8);
    tokio::spawn(async move {
        while let Ok((socket, _)) = silent.accept().await {
            if held_tx.send(socket).await.is_err() {
                break;
            }
        }
    });
    (base_url, held)
}
