namespace Fleet.Sources;

/// <summary>
/// A source URL split into what may be shown (<see cref="SafeUrl"/>, never with a password) and the
/// userinfo it carried. scp-like ssh addresses (<c>git@host:path</c>) are kept as they are.
/// </summary>
internal sealed partial record GitUrl(string SafeUrl, string? UserName, string? Password, bool IsHttp, bool IsSsh, bool IsFile)
{
    public static GitUrl Parse(string url)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            throw new GitSourceException(GitSourceReasons.InvalidSpec, "spec.url is empty");
        }

        url = url.Trim();
        if (Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" or "ssh" or "file")
        {
            string? user = null;
            string? password = null;
            var safe = url;
            if (!string.IsNullOrEmpty(uri.UserInfo))
            {
                var parts = uri.UserInfo.Split(':', 2);
                user = Uri.UnescapeDataString(parts[0]);
                password = parts.Length > 1 ? Uri.UnescapeDataString(parts[1]) : null;
                var builder = new UriBuilder(uri) { Password = string.Empty };
                if (uri.Scheme is "http" or "https")
                {
                    // http credentials travel in a header, never in the URL git sees.
                    builder.UserName = string.Empty;
                }

                safe = builder.Uri.AbsoluteUri;
            }

            return new GitUrl(safe, user, password, uri.Scheme is "http" or "https", uri.Scheme == "ssh", uri.Scheme == "file");
        }

        // scp-like syntax: [user@]host:path, as git accepts it (and nothing like "ext::command").
        if (ScpLike().IsMatch(url))
        {
            return new GitUrl(url, null, null, IsHttp: false, IsSsh: true, IsFile: false);
        }

        throw new GitSourceException(
            GitSourceReasons.InvalidSpec,
            $"spec.url '{Scrub(url)}' is not a git URL: use http(s)://, ssh://, file:// or user@host:path");
    }

    /// <summary>Removes userinfo passwords from every URL in <paramref name="text"/>.</summary>
    public static string Scrub(string text) =>
        System.Text.RegularExpressions.Regex.Replace(text, @"(?<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s]+@", "${scheme}***@");

    [System.Text.RegularExpressions.GeneratedRegex(@"^(?:[A-Za-z0-9._-]+@)?[A-Za-z0-9.-]+:(?!:|//)[^\s]+$")]
    private static partial System.Text.RegularExpressions.Regex ScpLike();
}
