import CMicroHTTPD

/// Incremental SHA-256 over GnuTLS, the TLS library libmicrohttpd already links.
///
/// The GnuTLS handle is created in `init` and released by the first `finalize()` call, or by
/// `deinit` when `finalize()` was never called. Later `finalize()` calls return "".
final class SHA256Digest {
    private var handle: gnutls_hash_hd_t?

    init() {
        if gnutls_hash_init(&handle, GNUTLS_DIG_SHA256) != 0 {
            handle = nil
        }
    }

    func update(_ bytes: UnsafeRawBufferPointer) {
        guard let handle, let base = bytes.baseAddress, !bytes.isEmpty else { return }
        gnutls_hash(handle, base, bytes.count)
    }

    /// Returns the lowercase hex digest and releases the GnuTLS handle.
    func finalize() -> String {
        guard let handle else { return "" }
        self.handle = nil
        var digest = [UInt8](repeating: 0, count: 32)
        digest.withUnsafeMutableBytes { buffer in
            gnutls_hash_deinit(handle, buffer.baseAddress)
        }
        return digest.map { byte in
            let hex = String(byte, radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }.joined()
    }

    deinit {
        if let handle {
            gnutls_hash_deinit(handle, nil)
        }
    }
}
