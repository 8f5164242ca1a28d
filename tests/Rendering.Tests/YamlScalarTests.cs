using Fleet.Rendering.Yaml;

namespace Fleet.Rendering.Tests;

/// <summary>Plain scalars resolve as kustomize's YAML library (yaml.v3) resolves them, written as kustomize writes them.</summary>
public sealed class YamlScalarTests
{
    [Theory]
    [InlineData("0755", "493")]
    [InlineData("0o17", "15")]
    [InlineData("0x1F", "31")]
    [InlineData("-0x1F", "-31")]
    [InlineData("0b101", "5")]
    [InlineData("1_000", "1000")]
    [InlineData("+12", "12")]
    [InlineData("-0", "0")]
    [InlineData("08", "8")]
    [InlineData("1.0", "1")]
    [InlineData(".5", "0.5")]
    [InlineData("1e3", "1000")]
    [InlineData("12345678901234567890", "12345678901234567890")]
    [InlineData("2024-01-31", "\"2024-01-31T00:00:00Z\"")]
    [InlineData("1970-01-01T00:00:00+00:00", "\"1970-01-01T00:00:00Z\"")]
    [InlineData("2024-02-30", "\"2024-02-30\"")]
    [InlineData("1e400", "\"1e400\"")]
    [InlineData("1.2.3", "\"1.2.3\"")]
    [InlineData("true", "true")]
    [InlineData("~", "null")]
    public void ResolvePlain_MatchesKustomize(string text, string json)
    {
        var node = YamlReader.ResolvePlain(text);
        Assert.Equal(json, node?.ToJsonString() ?? "null");
    }

    [Theory]
    [InlineData("2024-01-31T00:00:00Z", "\"2024-01-31T00:00:00Z\"")]
    [InlineData("0755", "\"0755\"")]
    [InlineData("1_000", "\"1_000\"")]
    [InlineData("plain", "plain")]
    public void Scalar_QuotesStringsThatWouldReadBackAsSomethingElse(string value, string written)
    {
        Assert.Equal(written, YamlWriter.Scalar(value).Replace('\'', '"'));
    }

    [Fact]
    public void Annotations_KeepTheirText()
    {
        var doc = YamlReader.ReadAll("metadata:\n  annotations:\n    a: 0755\n    b: 1.0\n    c:\n  labels:\n    d: 0755\n", "x", new RenderLimits())[0]!;
        Assert.Equal("\"0755\"", doc["metadata"]!["annotations"]!["a"]!.ToJsonString());
        Assert.Equal("\"1.0\"", doc["metadata"]!["annotations"]!["b"]!.ToJsonString());
        Assert.Null(doc["metadata"]!["annotations"]!["c"]);
        Assert.Equal("493", doc["metadata"]!["labels"]!["d"]!.ToJsonString());
    }
}
