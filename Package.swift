// swift-tools-version:6.2
import PackageDescription

/// Settings every first-party target shares: Swift 6 mode, the house's upcoming features, and no warnings.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .treatAllWarnings(as: .error),
]

let package = Package(
    name: "fabrikam-drone-delivery",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "AMQP", targets: ["AMQP"]),
        .library(name: "Postgres", targets: ["Postgres"]),
        .library(name: "Contracts", targets: ["Contracts"]),
        .executable(name: "saga-bench", targets: ["SagaBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
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
                "CLibPQ", "DedicatedThread",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),

        // Event contracts: no I/O.
        .target(name: "Contracts", swiftSettings: strictSettings),

        // Executables.
        .executableTarget(
            name: "SagaBench",
            dependencies: [
                "AMQP", "Postgres",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),

        // Tests.
        .target(name: "IntegrationSupport", path: "Tests/IntegrationSupport", swiftSettings: strictSettings),
        .testTarget(name: "AMQPTests", dependencies: ["AMQP", "IntegrationSupport"], swiftSettings: strictSettings),
        .testTarget(name: "PostgresTests", dependencies: ["Postgres", "IntegrationSupport"], swiftSettings: strictSettings),
        .testTarget(
            name: "ContractTests",
            dependencies: ["Contracts", .product(name: "Yams", package: "Yams")],
            swiftSettings: strictSettings
        ),
    ]
)
