using System.Runtime.InteropServices;
using LibGit2Sharp;

namespace Fleet.Sources;

/// <summary>
/// <c>git_remote_fetch</c> called in the libgit2 that LibGit2Sharp loaded, with a depth. Written by hand because
/// LibGit2Sharp 0.32 cannot: its <c>Commands.Fetch</c> builds libgit2's fetch options without the depth
/// (<see cref="FetchOptions.Depth"/> is read by <c>Repository.Clone</c> only, which makes a new repository and
/// fetches every branch), and it always asks libgit2 to follow the first redirect, which overrides the
/// repository's <c>http.followRedirects</c>. Everything else (the repository, refs, objects, listing refs)
/// stays LibGit2Sharp's; this opens its own handle on the mirror for the one call.
/// The structures are libgit2 1.8's (<c>include/git2/remote.h</c>, <c>proxy.h</c>, <c>strarray.h</c>);
/// <c>git_fetch_options_init</c> fills the defaults and their version fields are checked, so a layout that no
/// longer matches the library fails at once instead of fetching wrongly.
/// </summary>
internal static class LibGit2Fetch
{
    /// <summary>The whole history (or, in a shallow repository, everything new above its shallow commits).</summary>
    public const int FullDepth = 0;

    /// <summary><c>GIT_FETCH_DEPTH_UNSHALLOW</c>: deepen a shallow repository to the full history.</summary>
    public const int Unshallow = int.MaxValue;

    private const int GitPassthrough = -30;
    private const int GitError = -1;
    private const uint CredentialUserPassPlaintext = 1;
    private const int PruneNever = 2;          // GIT_FETCH_NO_PRUNE
    private const int DownloadTagsNone = 2;    // GIT_REMOTE_DOWNLOAD_TAGS_NONE
    private const int ProxyAuto = 1;           // GIT_PROXY_AUTO, what LibGit2Sharp passes by default
    private const int RedirectNone = 1;        // GIT_REMOTE_REDIRECT_NONE
    private const int RedirectInitial = 2;     // GIT_REMOTE_REDIRECT_INITIAL, libgit2's and LibGit2Sharp's default

    private static readonly Lazy<Api> Native = new(() => new Api());

    /// <summary>What one fetch asks of libgit2.</summary>
    /// <param name="Credentials">Username and password for a request URL, or null when there are none for it.</param>
    /// <param name="Aborted">Polled from libgit2's progress callbacks; true stops the fetch.</param>
    public sealed record Request(
        string Mirror,
        string Remote,
        IReadOnlyList<string> Refspecs,
        int Depth,
        IReadOnlyList<string> Headers,
        bool FollowRedirects,
        Func<string, (string User, string Password)?> Credentials,
        Func<bool> Aborted);

    /// <summary>Fetches; libgit2's failures become <see cref="LibGit2SharpException"/>s with libgit2's message.</summary>
    public static void Fetch(Request request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var api = Native.Value;
        var credentials = new CredentialCallback((out IntPtr credential, IntPtr url, IntPtr _, uint allowed, IntPtr _) =>
        {
            credential = IntPtr.Zero;
            try
            {
                if ((allowed & CredentialUserPassPlaintext) == 0)
                {
                    return GitPassthrough;
                }

                var answer = request.Credentials(Marshal.PtrToStringUTF8(url) ?? string.Empty);
                return answer is { } pair ? api.UserPassNew(out credential, pair.User, pair.Password) : GitError;
            }
            catch (Exception)
            {
                // No exception may cross into libgit2; the fetch fails and says why below.
                return GitError;
            }
        });
        var transfer = new TransferProgressCallback((_, _) => request.Aborted() ? GitError : 0);
        var sideband = new SidebandCallback((_, _, _) => request.Aborted() ? GitError : 0);

        var options = default(FetchOptions);
        Check(api, api.FetchOptionsInit(ref options, 1), "git_fetch_options_init");
        if (options.Version != 1 || options.Callbacks.Version != 1 || options.Proxy.Version != 1 || options.UpdateFetchHead != 1 || options.Depth != 0)
        {
            throw new LibGit2SharpException("libgit2's git_fetch_options do not have the layout of libgit2 1.8");
        }

        options.Callbacks.Credentials = Marshal.GetFunctionPointerForDelegate(credentials);
        options.Callbacks.TransferProgress = Marshal.GetFunctionPointerForDelegate(transfer);
        options.Callbacks.SidebandProgress = Marshal.GetFunctionPointerForDelegate(sideband);
        options.Prune = PruneNever;
        options.UpdateFetchHead = 0;
        options.DownloadTags = DownloadTagsNone;
        options.Proxy.Type = ProxyAuto;
        options.Depth = request.Depth;
        options.FollowRedirects = request.FollowRedirects ? RedirectInitial : RedirectNone;

        using var refspecs = new NativeStrings(request.Refspecs);
        using var headers = new NativeStrings(request.Headers);
        options.CustomHeaders = headers.Array;
        var specs = refspecs.Array;
        var repo = IntPtr.Zero;
        var remote = IntPtr.Zero;
        try
        {
            Check(api, api.RepositoryOpen(out repo, request.Mirror), "opening the mirror");
            Check(api, api.RemoteLookup(out remote, repo, request.Remote), "looking up the remote");
            Check(api, api.RemoteFetch(remote, ref specs, ref options, IntPtr.Zero), "fetch");
        }
        finally
        {
            if (remote != IntPtr.Zero)
            {
                api.RemoteFree(remote);
            }

            if (repo != IntPtr.Zero)
            {
                api.RepositoryFree(repo);
            }

            GC.KeepAlive(credentials);
            GC.KeepAlive(transfer);
            GC.KeepAlive(sideband);
        }
    }

    private static void Check(Api api, int result, string what)
    {
        if (result >= 0)
        {
            return;
        }

        var error = api.ErrorLast();
        var message = error == IntPtr.Zero ? null : Marshal.PtrToStringUTF8(Marshal.ReadIntPtr(error));
        throw new LibGit2SharpException(string.IsNullOrWhiteSpace(message) ? $"{what} failed (libgit2 error {result})" : message);
    }

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int RepositoryOpenFn(out IntPtr repo, [MarshalAs(UnmanagedType.LPUTF8Str)] string path);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void FreeFn(IntPtr handle);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int RemoteLookupFn(out IntPtr remote, IntPtr repo, [MarshalAs(UnmanagedType.LPUTF8Str)] string name);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int FetchOptionsInitFn(ref FetchOptions options, uint version);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int RemoteFetchFn(IntPtr remote, ref StrArray refspecs, ref FetchOptions options, IntPtr reflogMessage);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate IntPtr ErrorLastFn();

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int UserPassNewFn(out IntPtr credential, [MarshalAs(UnmanagedType.LPUTF8Str)] string user, [MarshalAs(UnmanagedType.LPUTF8Str)] string password);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int CredentialCallback(out IntPtr credential, IntPtr url, IntPtr usernameFromUrl, uint allowedTypes, IntPtr payload);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int TransferProgressCallback(IntPtr stats, IntPtr payload);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int SidebandCallback(IntPtr text, int length, IntPtr payload);

    /// <summary>The libgit2 functions used here, looked up once.</summary>
    private sealed class Api
    {
        public readonly RepositoryOpenFn RepositoryOpen = Fn<RepositoryOpenFn>("git_repository_open");
        public readonly FreeFn RepositoryFree = Fn<FreeFn>("git_repository_free");
        public readonly RemoteLookupFn RemoteLookup = Fn<RemoteLookupFn>("git_remote_lookup");
        public readonly FreeFn RemoteFree = Fn<FreeFn>("git_remote_free");
        public readonly FetchOptionsInitFn FetchOptionsInit = Fn<FetchOptionsInitFn>("git_fetch_options_init");
        public readonly RemoteFetchFn RemoteFetch = Fn<RemoteFetchFn>("git_remote_fetch");
        public readonly ErrorLastFn ErrorLast = Fn<ErrorLastFn>("git_error_last");
        public readonly UserPassNewFn UserPassNew = Fn<UserPassNewFn>("git_credential_userpass_plaintext_new");

        private static T Fn<T>(string name)
            where T : Delegate => Marshal.GetDelegateForFunctionPointer<T>(LibGit2Settings.Export(name));
    }

    /// <summary>A <c>git_strarray</c> of UTF-8 strings in native memory, freed on dispose.</summary>
    private sealed class NativeStrings : IDisposable
    {
        private readonly IntPtr[] _strings;
        private readonly IntPtr _array;

        public NativeStrings(IReadOnlyList<string> values)
        {
            _strings = values.Select(Marshal.StringToCoTaskMemUTF8).ToArray();
            _array = _strings.Length == 0 ? IntPtr.Zero : Marshal.AllocHGlobal(IntPtr.Size * _strings.Length);
            if (_array != IntPtr.Zero)
            {
                Marshal.Copy(_strings, 0, _array, _strings.Length);
            }
        }

        public StrArray Array => new() { Strings = _array, Count = (UIntPtr)_strings.Length };

        public void Dispose()
        {
            foreach (var s in _strings)
            {
                Marshal.ZeroFreeCoTaskMemUTF8(s);
            }

            if (_array != IntPtr.Zero)
            {
                Marshal.FreeHGlobal(_array);
            }
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct StrArray
    {
        public IntPtr Strings;
        public UIntPtr Count;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct RemoteCallbacks
    {
        public uint Version;
        public IntPtr SidebandProgress;
        public IntPtr Completion;
        public IntPtr Credentials;
        public IntPtr CertificateCheck;
        public IntPtr TransferProgress;
        public IntPtr UpdateTips;
        public IntPtr PackProgress;
        public IntPtr PushTransferProgress;
        public IntPtr PushUpdateReference;
        public IntPtr PushNegotiation;
        public IntPtr Transport;
        public IntPtr RemoteReady;
        public IntPtr Payload;
        public IntPtr ResolveUrl;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct ProxyOptions
    {
        public uint Version;
        public int Type;
        public IntPtr Url;
        public IntPtr Credentials;
        public IntPtr CertificateCheck;
        public IntPtr Payload;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct FetchOptions
    {
        public int Version;
        public RemoteCallbacks Callbacks;
        public int Prune;
        public uint UpdateFetchHead;
        public int DownloadTags;
        public ProxyOptions Proxy;
        public int Depth;
        public int FollowRedirects;
        public StrArray CustomHeaders;
    }
}
