using System.Diagnostics;

namespace Fleet.Gateway.Tests;

/// <summary>A real Git repository in a temporary directory, changed with the git command line, served over <c>file://</c>.</summary>
internal sealed class SourcesGitRepository : IDisposable
{
    private SourcesGitRepository(string path) => Path = path;

    public string Path { get; }

    public string FileUrl => "file://" + Path;

    public static SourcesGitRepository Create(string branch = "main")
    {
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "fleet-git-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        var repo = new SourcesGitRepository(path);
        repo.Git("init", "--quiet", "--initial-branch", branch);
        return repo;
    }

    /// <summary>Writes (or, for a null content, deletes) files and commits them all; returns the commit id.</summary>
    public string Commit(IReadOnlyDictionary<string, string?> files, string message = "change")
    {
        foreach (var (name, content) in files)
        {
            var full = System.IO.Path.Combine(Path, name);
            if (content is null)
            {
                File.Delete(full);
                continue;
            }
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
            File.WriteAllText(full, content);
        }
        Git("add", "--all");
        Git("commit", "--quiet", "--allow-empty", "-m", message);
        return Head();
    }

    public string Head() => Git("rev-parse", "HEAD").Trim();

    public void Checkout(string branch, bool create = false)
    {
        if (create)
        {
            Git("checkout", "--quiet", "-b", branch);
        }
        else
        {
            Git("checkout", "--quiet", branch);
        }
    }

    public void DeleteBranch(string branch) => Git("branch", "--quiet", "-D", branch);

    public string Git(params string[] args)
    {
        var start = new ProcessStartInfo("git")
        {
            WorkingDirectory = Path,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // A clean, fixed identity and no user configuration, so the tests run the same anywhere.
        start.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        start.Environment["GIT_CONFIG_GLOBAL"] = "/dev/null";
        start.Environment["GIT_AUTHOR_NAME"] = "Fleet Test";
        start.Environment["GIT_AUTHOR_EMAIL"] = "test@fleet.dev";
        start.Environment["GIT_COMMITTER_NAME"] = "Fleet Test";
        start.Environment["GIT_COMMITTER_EMAIL"] = "test@fleet.dev";
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"git {string.Join(' ', args)} failed ({process.ExitCode}): {stderr}");
        }
        return stdout.Result;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A git process of the silo may still hold a file; the temporary directory is cleaned by the OS.
        }
        catch (UnauthorizedAccessException)
        {
            // Same as above, for read-only object files on some systems.
        }
    }
}
