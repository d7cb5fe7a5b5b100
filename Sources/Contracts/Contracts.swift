/// Placeholder while the contracts are written.
enum ContractsPlaceholder {}
