using System.Diagnostics.CodeAnalysis;

/// <summary>Exposes the entry point to <c>WebApplicationFactory</c> in the tests.</summary>
[SuppressMessage("Design", "CA1050", Justification = "Top-level statements put Program in the global namespace.")]
public partial class Program;
