// The tests drive Linux tools (git, sshd) and set Unix file modes.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
