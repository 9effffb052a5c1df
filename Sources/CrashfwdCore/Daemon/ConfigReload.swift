extension Daemon {
    /// Reloads the config file on SIGHUP.
    ///
    /// An invalid new config is rejected with every problem logged, and the running one
    /// stays in effect. A valid one replaces the sources, matchers, renderers and
    /// destinations: positions are saved first (never past a block the detector still
    /// holds open), the new sources resume from them, and the new detector reads such a
    /// block again. Reports read twice get the same id, so the queue skips them. The queue,
    /// the statistics and the in-memory unsaved reports are kept. `state_directory` and
    /// the `service:` files cannot change without a restart.
    ///
    /// - Throws: only when the delivery thread cannot be started again, which ends the
    ///   daemon so that systemd restarts it (`Restart=on-failure`).
    func reload(notifier: ServiceNotifier) throws {
        Log.info("SIGHUP received; reloading the config", ["CONFIG": config.file])
        notifier.reloading()
        defer { notifier.ready(status: "Config reloaded") }
        guard let fresh = loadReplacementConfig() else { return }
        if unsaved.isEmpty { savePositions() }
        let components: Components
        do {
            components = try Daemon.makeComponents(
                config: fresh, queue: queue, statistics: statistics, httpWorker: httpWorker)
        } catch {
            rejectReload("cannot start the new sources or matchers: \(error)")
            return
        }
        // Waiting for the request in flight blocks the loop for up to the destination's
        // timeout, so the watchdog gets a fresh ping first.
        notifier.pingIfDue(now: Clock.monotonic(), force: true)
        stopDelivery()
        for source in sources { source.close() }
        install(components, config: fresh)
        try startDelivery()
        statistics.configReloaded(succeeded: true)
        Log.info(
            "config reloaded",
            [
                "CONFIG": fresh.file, "FILES": fresh.files.map(\.path).joined(separator: ","),
                "MATCHERS": "\(fresh.matchers.count)",
                "DESTINATIONS": fresh.destinations.keys.sorted().joined(separator: ","),
            ],
            id: MessageID.configReloaded)
    }

    /// Loads and checks the config file again; returns nil after logging why it is rejected.
    func loadReplacementConfig() -> Config? {
        let fresh: Config
        do {
            fresh = try Config.load(path: config.file)
        } catch let errors as ConfigErrors {
            rejectReload(errors.description)
            return nil
        } catch {
            rejectReload("\(error)")
            return nil
        }
        if fresh.stateDirectory != config.stateDirectory {
            rejectReload(
                "state_directory changed from \(config.stateDirectory) to \(fresh.stateDirectory); restart crashfwd to move the state"
            )
            return nil
        }
        if fresh.service != config.service {
            rejectReload(
                "the service section changed; restart crashfwd to move the status or metrics file")
            return nil
        }
        for warning in fresh.warnings {
            Log.warning("config warning", ["PROBLEM": warning.description])
        }
        return fresh
    }

    func rejectReload(_ problems: String) {
        Log.error(
            "config reload rejected; the running config stays in effect",
            ["CONFIG": config.file, "PROBLEMS": problems], id: MessageID.configRejected)
        statistics.errorOccurred("config reload rejected: \(problems)")
        statistics.configReloaded(succeeded: false)
    }

    func install(_ components: Components, config fresh: Config) {
        config = fresh
        detector = components.detector
        folder = components.folder
        renderers = components.renderers
        tailer = components.tailer
        sources = components.sources
        deliverer = components.deliverer
        Log.configure(level: logLevelOverride ?? fresh.logLevel)
    }
}
