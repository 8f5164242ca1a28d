using Fleet.Abstractions.Resources;

namespace Fleet.Abstractions.Tests;

public sealed class ResourceValidationTests
{
    [Theory]
    [InlineData("https://user:hunter2@git.example/repo.git")]
    [InlineData("https://ghp_token@git.example/repo.git")]
    [InlineData("ssh://git:hunter2@git.example/repo.git")]
    public void GitRepository_UrlWithCredentials_IsRefusedPointingToSecretRef_WithoutEchoingThem(string url)
    {
        var errors = ResourceValidation.ValidateSpec(new GitRepositorySpec { Url = url }).ToList();

        var error = Assert.Single(errors, e => e.Field == "spec.url");
        Assert.Contains("spec.secretRef", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("ghp_token", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ssh://git@git.example/repo.git")]
    [InlineData("git@git.example:org/repo.git")]
    [InlineData("https://git.example/repo.git")]
    public void GitRepository_UrlWithoutSecrets_IsAccepted(string url) =>
        Assert.DoesNotContain(ResourceValidation.ValidateSpec(new GitRepositorySpec { Url = url }), e => e.Field == "spec.url");

    [Fact]
    public void Cluster_ServerWithCredentials_IsRefusedPointingToCredentialsRef()
    {
        var errors = ResourceValidation.ValidateSpec(new ClusterSpec { Server = "https://admin:hunter2@10.0.0.1:6443" }).ToList();

        var error = Assert.Single(errors, e => e.Field == "spec.server");
        Assert.Contains("spec.credentialsRef", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
    }
}
