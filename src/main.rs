//! Entry point: mounts the browser app (the model itself lives in the library).

fn main() {
    #[cfg(target_arch = "wasm32")]
    clusterlab::ui::start();
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("ClusterLab runs in the browser: `make serve`, then open http://127.0.0.1:8080/");
}
