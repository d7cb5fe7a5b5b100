/// How the recipient confirms the drop-off; the raw values are the wire names.
public enum ConfirmationType: String, Codable, Sendable, CaseIterable {
    /// No confirmation.
    case none = "None"
    /// A fingerprint.
    case fingerPrint = "FingerPrint"
    /// A picture.
    case picture = "Picture"
    /// A voice sample.
    case voice = "Voice"
}
