using System.ComponentModel.DataAnnotations;

namespace Fleet.Silo;

/// <summary>Host options of a silo (section <c>Fleet</c>); the runtime's own options are under <c>Fleet:Runtime</c>.</summary>
internal sealed class SiloOptions
{
    public const string Section = "Fleet";

    /// <summary>Where the silo keeps its SQLite file, git mirrors, rendered caches and the secret key file.</summary>
    [Required]
    public string DataDirectory { get; set; } = "data";

    /// <summary>Base64 of 32 random bytes; when absent, a key file is created in the data directory.</summary>
    public string? SecretKey { get; set; }

    /// <summary>Host the gateway (REST API, events, metrics) in this process.</summary>
    public bool Gateway { get; set; } = true;
}
