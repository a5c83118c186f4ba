//! Placeholder replaced by the port-forward module.
use crate::cluster::Host;
use crate::error::Result;

pub struct Forward {
    addr: std::net::SocketAddr,
}

impl Forward {
    pub fn local_addr(&self) -> std::net::SocketAddr {
        self.addr
    }
}

pub async fn start(_host: &Host, _ns: &str, _pod: &str, _port: u16, local: std::net::SocketAddr) -> Result<Forward> {
    Ok(Forward { addr: local })
}
