/// Placeholder (being written).
public enum SagaInspectPlaceholder {}
