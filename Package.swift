// swift-tools-version:6.2
import PackageDescription

/// Settings every first-party target shares: Swift 6 mode, the house's upcoming features, and no warnings.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .treatAllWarnings(as: .error),
]

let package = Package(
    name: "fabrikam-drone-delivery",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "AMQP", targets: ["AMQP"]),
        .library(name: "Postgres", targets: ["Postgres"]),
        .library(name: "Contracts", targets: ["Contracts"]),
        .library(name: "Choreography", targets: ["Choreography"]),
        .executable(name: "saga-bench", targets: ["SagaBenchCLI"]),
        .executable(name: "saga-admin", targets: ["SagaAdminCLI"]),
        .executable(name: "choreography-echo", targets: ["ChoreographyEchoCLI"]),
        .executable(name: "fabrikam-service", targets: ["FabrikamServiceCLI"]),
        .executable(name: "saga-inspect", targets: ["SagaInspectCLI"]),
        .executable(name: "saga-explorer", targets: ["SagaExplorerCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        // OTLP over HTTP only: the default traits also pull in gRPC (a long build) that the services do not use.
        .package(url: "https://github.com/swift-otel/swift-otel.git", from: "1.6.0", traits: ["OTLPHTTP"]),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0", traits: []),
    ],
    targets: [
        // C modules: system libraries only, found through pkg-config.
        .systemLibrary(
            name: "CRabbitMQ",
            pkgConfig: "librabbitmq",
            providers: [.apt(["librabbitmq-dev"])]
        ),
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),

        // Clients.
        .target(name: "DedicatedThread", swiftSettings: strictSettings),
        // The command-line tools' main(): ArgumentParser's, ending the process after the dedicated threads.
        .target(
            name: "CommandExit",
            dependencies: ["DedicatedThread", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "AMQP",
            dependencies: [
                "CRabbitMQ", "DedicatedThread",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "Postgres",
            dependencies: [
                "CLibPQ", "DedicatedThread", "UUIDText",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),

        // Event contracts: no I/O.
        .target(name: "Contracts", dependencies: ["UUIDText"], swiftSettings: strictSettings),
        // The text form of UUIDs, parsed and written without Foundation's sscanf/snprintf.
        .target(name: "UUIDText", swiftSettings: strictSettings),

        // The service runtime: inbox, outbox and relay, retries and parking, deadlines,
        // migrations, health and metrics, lifecycle. No HTTP: that is ServiceHTTP.
        .target(
            name: "Choreography",
            dependencies: [
                "AMQP", "Postgres", "Contracts", "UUIDText",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "Configuration", package: "swift-configuration"),
            ],
            swiftSettings: strictSettings
        ),

        // The runtime's HTTP edge: problem documents, the health and metrics endpoints, the
        // database of a service's own routes and its outbox dispatcher, the daemon bootstrap
        // (logging, metrics and the OTLP span exporter).
        .target(
            name: "ServiceHTTP",
            dependencies: [
                "Choreography", "Postgres",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "OTel", package: "swift-otel"),
            ],
            swiftSettings: strictSettings
        ),

        // The smallest service on the runtime (tests and benchmark).
        .target(name: "EchoService", dependencies: ["Choreography", "Contracts", "Postgres"], swiftSettings: strictSettings),

        // API keys: the `access` schema, key hashing, the key store and the cached verifier (no HTTP).
        .target(
            name: "APIAccess",
            dependencies: [
                "Choreography", "Postgres",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        // Who may do what over HTTP: the bearer authenticator middleware, the request context and
        // the authorization rules.
        .target(
            name: "APIAccessHTTP",
            dependencies: [
                "APIAccess", "ServiceHTTP", "Choreography", "Postgres", "UUIDText",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: strictSettings
        ),

        // The six services of the delivery saga: handlers, SQL and domain rules, one library each.
        // They share only the contracts and the runtime, never each other.
        .target(
            name: "AccountService",
            dependencies: ["UUIDText", "Choreography", "Contracts", "Postgres", .product(name: "Logging", package: "swift-log")],
            resources: [.copy("Migrations")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "PackageService",
            dependencies: ["Choreography", "Contracts", "Postgres", .product(name: "Logging", package: "swift-log")],
            resources: [.copy("Migrations")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "DroneService",
            dependencies: ["UUIDText", "Choreography", "Contracts", "Postgres", .product(name: "Logging", package: "swift-log")],
            resources: [.copy("Migrations")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "DeliveryService",
            dependencies: ["Choreography", "Contracts", "Postgres", .product(name: "Logging", package: "swift-log")],
            resources: [.copy("Migrations")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "HistoryService",
            dependencies: ["Choreography", "ServiceHTTP", "APIAccess", "APIAccessHTTP", "Contracts", "Postgres", "UUIDText", .product(name: "Logging", package: "swift-log"), .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types")],
            resources: [.copy("Migrations")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "IngestionService",
            dependencies: ["UUIDText", "Choreography", "ServiceHTTP", "APIAccess", "APIAccessHTTP", "Contracts", "Postgres", .product(name: "Logging", package: "swift-log"), .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types")],
            resources: [.copy("Migrations")],
            swiftSettings: strictSettings
        ),

        // The saga's paths as requests, and an API client: for the demo, the load generator and the end-to-end tests.
        .target(name: "SagaScenarios", dependencies: ["PlainHTTPClient"], swiftSettings: strictSettings),

        // The adversarial schedule harness: the six services as processes, an interposer between
        // them and their queues, seeded schedules, and the invariants checked after each.
        .target(
            name: "SagaSchedules",
            dependencies: [
                "AMQP", "Postgres", "Contracts", "Choreography", "SagaScenarios", "SagaInspect", "PlainHTTPClient", "IntegrationSupport",
                "DeliveryService", "BrokerAdministration", "APIAccess",
            ],
            swiftSettings: strictSettings
        ),

        // saga-inspect: reconstructs a saga from the history log, every service's schema and the parking queues.
        .target(
            name: "SagaInspect",
            dependencies: ["Postgres", "AMQP", "Choreography", "Contracts", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),

        // Broker users and their rights, through RabbitMQ's management API (setup, not daemons).
        .target(name: "BrokerAdministration", dependencies: ["AMQP", "Choreography", "PlainHTTPClient"], swiftSettings: strictSettings),
        // The saga explorer: saga-inspect's analysis as server-rendered pages (saga-explorer).
        .target(
            name: "SagaExplorer",
            dependencies: [
                "SagaInspect", "Postgres", "AMQP", "Choreography", "Contracts", "APIAccess",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),

        // What saga-inspect and saga-explorer share on the command line: where the servers are, exit codes, messages.
        .target(
            name: "SagaInspectCommandLine",
            dependencies: ["SagaInspect", "Postgres", "Choreography", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strictSettings
        ),

        // Executables: each target named <Product>CLI, so that none is mistaken for a library.
        .executableTarget(
            name: "SagaInspectCLI",
            dependencies: [
                // Choreography directly: reading ServiceSettings through an indirect dependency crashed.
                "CommandExit", "SagaInspect", "SagaInspectCommandLine", "Postgres", "Choreography", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "SagaExplorerCLI",
            dependencies: [
                "SagaExplorer", "SagaInspect", "SagaInspectCommandLine", "Postgres", "Choreography", "CommandExit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"), .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "FabrikamServiceCLI",
            dependencies: [
                "Choreography", "ServiceHTTP", "AccountService", "PackageService", "DroneService", "DeliveryService", "HistoryService",
                "IngestionService", "CommandExit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "ChoreographyEchoCLI",
            dependencies: [
                "EchoService", "Choreography", "ServiceHTTP", "DedicatedThread",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "SagaAdminCLI",
            dependencies: [
                "CommandExit", "Choreography", "AMQP", "AccountService", "APIAccess", "Postgres", "BrokerAdministration",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "SagaBenchCLI",
            dependencies: [
                "CommandExit", "AMQP", "Postgres", "Contracts", "Choreography", "EchoService", "SagaScenarios", "SagaSchedules",
                "SagaLoadMeasures", "AccountService", "HistoryService", "PlainHTTPClient", "SagaExplorer", "SagaInspect", "ServiceHTTP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),

        // The load benchmark's pure parts: /proc parsing, CPU deltas, latency percentiles, outcome counts.
        .target(
            name: "SagaLoadMeasures",
            dependencies: ["Contracts", "SagaScenarios", .product(name: "Histogram", package: "hdrhistogram-swift")],
            swiftSettings: strictSettings
        ),

        // Tests.
        .target(
            name: "PlainHTTPClient",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .target(name: "IntegrationSupport", path: "Tests/IntegrationSupport", swiftSettings: strictSettings),
        .target(
            name: "ServiceTestSupport",
            dependencies: [
                "Choreography", "ServiceHTTP", "APIAccess", "AMQP", "Postgres", "Contracts", "IntegrationSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            path: "Tests/ServiceTestSupport",
            swiftSettings: strictSettings
        ),
        .testTarget(name: "AMQPTests", dependencies: ["AMQP", "IntegrationSupport"], swiftSettings: strictSettings),
        .testTarget(name: "PostgresTests", dependencies: ["Postgres", "IntegrationSupport"], swiftSettings: strictSettings),
        .testTarget(
            name: "ChoreographyTests",
            dependencies: [
                "Choreography", "ServiceHTTP", "EchoService", "AMQP", "Postgres", "Contracts", "IntegrationSupport", "ServiceTestSupport", "PlainHTTPClient",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
                .product(name: "Configuration", package: "swift-configuration"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ContractTests",
            dependencies: ["Contracts", "UUIDText", .product(name: "Yams", package: "Yams")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "AccountServiceTests",
            dependencies: ["AccountService", "ServiceTestSupport", "IntegrationSupport", "Choreography", "Contracts", "Postgres", "AMQP"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "PackageServiceTests",
            dependencies: ["PackageService", "ServiceTestSupport", "IntegrationSupport", "Choreography", "Contracts", "Postgres", "AMQP"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "DroneServiceTests",
            dependencies: ["DroneService", "ServiceTestSupport", "IntegrationSupport", "Choreography", "Contracts", "Postgres", "AMQP"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "DeliveryServiceTests",
            dependencies: ["DeliveryService", "ServiceTestSupport", "IntegrationSupport", "Choreography", "Contracts", "Postgres", "AMQP"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "HistoryServiceTests",
            dependencies: ["HistoryService", "APIAccess", "ServiceTestSupport", "IntegrationSupport", "Choreography", "Contracts", "Postgres", "AMQP", "PlainHTTPClient"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "IngestionServiceTests",
            dependencies: ["IngestionService", "ServiceHTTP", "APIAccess", "ServiceTestSupport", "IntegrationSupport", "Choreography", "Contracts", "Postgres", "AMQP", "PlainHTTPClient"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "IntegrationSupport", "APIAccess", "PlainHTTPClient", "SagaScenarios", "SagaInspect", "SagaSchedules", "Contracts", "Postgres",
                "AMQP", "Choreography",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ScheduleHarnessTests",
            dependencies: ["SagaSchedules", "SagaScenarios", "IntegrationSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SagaCatalogueTests",
            dependencies: [
                "AccountService", "PackageService", "DroneService", "DeliveryService", "HistoryService", "IngestionService",
                "Choreography", "Contracts",
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "APIAccessTests",
            dependencies: ["APIAccess", "APIAccessHTTP", "ServiceHTTP", "Choreography", "IntegrationSupport", "Postgres", .product(name: "HTTPTypes", package: "swift-http-types")],
            swiftSettings: strictSettings
        ),
        .testTarget(name: "SagaLoadMeasuresTests", dependencies: ["SagaLoadMeasures", "Contracts", "SagaScenarios"], swiftSettings: strictSettings),
        .testTarget(
            name: "SagaInspectTests",
            dependencies: [
                "SagaInspect", "SagaExplorer", "APIAccess", "IntegrationSupport", "Postgres", "Contracts", "AMQP", "Choreography", "PlainHTTPClient",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
    ]
)
