using System.Runtime.InteropServices;
using LibGit2Sharp;

namespace Fleet.Sources;

/// <summary>
/// Process-wide libgit2 settings, applied once before the first mirror operation: no user, XDG or system git
/// config is read (credential helpers, URL rewrites, proxies or an ssh command of the host must not leak
/// into a fetch), and network reads that stall end after <see cref="StallTimeout"/>.
/// </summary>
internal static class LibGit2Settings
{
    /// <summary>How long libgit2 waits for a connection or for the next bytes from a server.</summary>
    public static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(60);

    // Positions in libgit2 1.8's git_libgit2_opt_t (include/git2/common.h).
    private const int SetServerConnectTimeout = 39;
    private const int GetServerConnectTimeout = 40;
    private const int SetServerTimeout = 41;
    private const int GetServerTimeout = 42;

    private static readonly Lazy<bool> Applied = new(Apply);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int SetIntOption(int option, int value);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int GetIntOption(int option, out int value);

    /// <summary>True when the server time-outs could be set (they cannot on Apple silicon, see below).</summary>
    public static bool HasStallTimeout => Applied.Value;

    public static void EnsureApplied() => _ = Applied.Value;

    private static bool Apply()
    {
        var empty = Directory.CreateTempSubdirectory("fleet-git-noconfig-").FullName;
        foreach (var level in new[] { ConfigurationLevel.Global, ConfigurationLevel.Xdg, ConfigurationLevel.System, ConfigurationLevel.ProgramData })
        {
            GlobalSettings.SetConfigSearchPaths(level, empty);
        }

        return SetServerTimeouts((int)StallTimeout.TotalMilliseconds);
    }

    /// <summary>
    /// LibGit2Sharp does not expose libgit2's server time-outs, so they are set through
    /// <c>git_libgit2_opts</c> directly, in the library LibGit2Sharp loaded. That function is variadic: calling it
    /// as a fixed-argument function is sound where variadic and fixed integer arguments travel alike
    /// (x64, and arm64 outside Apple platforms); on Apple arm64 the time-outs are left at libgit2's default.
    /// </summary>
    private static bool SetServerTimeouts(int milliseconds)
    {
        if (OperatingSystem.IsMacOS() && RuntimeInformation.ProcessArchitecture == Architecture.Arm64)
        {
            return false;
        }

        var opts = Export("git_libgit2_opts");
        var set = Marshal.GetDelegateForFunctionPointer<SetIntOption>(opts);
        var get = Marshal.GetDelegateForFunctionPointer<GetIntOption>(opts);
        if (set(SetServerConnectTimeout, milliseconds) != 0 || set(SetServerTimeout, milliseconds) != 0)
        {
            return false;
        }

        // Read them back: a wrong option number would show here rather than as a fetch that never ends.
        return get(GetServerConnectTimeout, out var connect) == 0 && connect == milliseconds
            && get(GetServerTimeout, out var read) == 0 && read == milliseconds;
    }

    private static readonly Lazy<IntPtr> Library = new(() =>
    {
        _ = GlobalSettings.Version;
        return NativeLibrary.Load(LibraryName(), typeof(Repository).Assembly, null);
    });

    /// <summary>A function of the libgit2 LibGit2Sharp loaded (and initialized), for what LibGit2Sharp does not expose.</summary>
    public static IntPtr Export(string name) => NativeLibrary.GetExport(Library.Value, name);

    private static string LibraryName()
    {
        // LibGit2Sharp ships libgit2 as "git2-<commit>"; the name is on its NativeBinaries' hash file and in its
        // version string ("... (LibGit2Sharp.NativeBinaries x, libgit2 <commit>)").
        var version = GlobalSettings.Version.InformationalVersion;
        var marker = "libgit2-";
        var at = version.IndexOf(marker, StringComparison.Ordinal);
        var hash = at >= 0 ? new string(version[(at + marker.Length)..].TakeWhile(char.IsAsciiHexDigit).ToArray()) : string.Empty;
        return "git2-" + (hash.Length >= 7 ? hash[..7] : "5853918");
    }
}
