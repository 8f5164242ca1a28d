using System.Diagnostics;

namespace Fleet.Sources.Tests.Support;

/// <summary>A real git repository with a work tree in a unique temporary directory, driven by the git CLI.</summary>
internal sealed class GitTestRepo : IDisposable
{
    private GitTestRepo(string path)
    {
        Path = path;
    }

    public string Path { get; }

    public string FileUrl => new Uri(Path).AbsoluteUri;

    public static GitTestRepo Create(string branch = "main")
    {
        var dir = TempDir.Create("fleet-repo-");
        var repo = new GitTestRepo(dir);
        repo.Git("init", "--quiet", "--initial-branch=" + branch);
        return repo;
    }

    /// <summary>Runs git in an existing repository (such as a mirror); never dispose it, or the repository is deleted.</summary>
    public static GitTestRepo Existing(string path) => new(path);

    public GitTestRepo Write(string relativePath, string content)
    {
        var full = System.IO.Path.Combine(Path, relativePath);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
        return this;
    }

    public GitTestRepo WriteBytes(string relativePath, byte[] content)
    {
        var full = System.IO.Path.Combine(Path, relativePath);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllBytes(full, content);
        return this;
    }

    public GitTestRepo Delete(string relativePath)
    {
        Git("rm", "-q", "-r", "--", relativePath);
        return this;
    }

    /// <summary>Stages everything and commits; returns the new commit id.</summary>
    public string Commit(string message = "change")
    {
        Git("add", "-A");
        Git("commit", "--quiet", "--allow-empty", "-m", message);
        return Head();
    }

    public string Head() => Git("rev-parse", "HEAD").Trim();

    public string Git(params string[] args)
    {
        var psi = new ProcessStartInfo("git")
        {
            WorkingDirectory = Path,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("GIT_", StringComparison.Ordinal)).ToList())
        {
            psi.Environment.Remove(key);
        }

        psi.Environment["GIT_CONFIG_GLOBAL"] = "/dev/null";
        psi.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        psi.Environment["GIT_AUTHOR_NAME"] = "Fleet Test";
        psi.Environment["GIT_AUTHOR_EMAIL"] = "test@fleet.invalid";
        psi.Environment["GIT_COMMITTER_NAME"] = "Fleet Test";
        psi.Environment["GIT_COMMITTER_EMAIL"] = "test@fleet.invalid";
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"git {string.Join(' ', args)} failed: {stderr}");
        }

        return stdout.Result;
    }

    public void Dispose() => TempDir.Delete(Path);
}

internal static class TempDir
{
    public static string Create(string prefix) => Directory.CreateTempSubdirectory(prefix).FullName;

    public static void Delete(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (IOException)
        {
            // A child process may still hold a file for a moment; the OS temp cleaner takes the rest.
        }
        catch (UnauthorizedAccessException)
        {
            // As above.
        }
    }
}

internal static class GitHttpServerExtensions
{
    public static string UrlFor(this GitHttpServer server, GitTestRepo repo) => server.UrlFor(repo.Path);
}
