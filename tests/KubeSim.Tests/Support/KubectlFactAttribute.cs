namespace Fleet.KubeSim.Tests.Support;

/// <summary>A fact that needs the real kubectl; skipped, saying so, on machines without it.</summary>
public sealed class KubectlFactAttribute : FactAttribute
{
    public KubectlFactAttribute()
    {
        if (Kubectl.Path is null)
        {
            Skip = "kubectl is not installed (looked for /usr/bin/kubectl and kubectl on PATH)";
        }
    }
}
