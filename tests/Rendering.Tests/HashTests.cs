using System.Text.Json.Nodes;
using Fleet.Rendering.Kustomize;

namespace Fleet.Rendering.Tests;

/// <summary>Hash values below were produced by kubectl kustomize v5.5.0 for the same data.</summary>
public sealed class HashTests
{
    [Theory]
    [InlineData("""{"kind":"ConfigMap","data":{"a":"b"}}""", "4h2mbtbbt6")]
    [InlineData("""{"kind":"ConfigMap","data":{"a":"b","c":"<d&>"}}""", "dkd2hb87c2")]
    [InlineData("""{"kind":"Secret","type":"Opaque","data":{"x":"eQ=="}}""", "t86b282gdf")]
    public void Hash_MatchesKustomize(string json, string expected)
    {
        Assert.Equal(expected, Generators.Hash(JsonNode.Parse(json)!.AsObject()));
    }

    [Fact]
    public void Hash_IgnoresNameAndLabels()
    {
        var a = JsonNode.Parse("""{"kind":"ConfigMap","metadata":{"name":"one","labels":{"x":"y"}},"data":{"a":"b"}}""")!.AsObject();
        var b = JsonNode.Parse("""{"kind":"ConfigMap","metadata":{"name":"two"},"data":{"a":"b"}}""")!.AsObject();
        Assert.Equal(Generators.Hash(a), Generators.Hash(b));
    }

    [Fact]
    public void Hash_UsesOnlyUnambiguousCharacters()
    {
        for (var i = 0; i < 200; i++)
        {
            var h = Generators.Hash(new JsonObject { ["kind"] = "ConfigMap", ["data"] = new JsonObject { ["k"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture) } });
            Assert.Equal(10, h.Length);
            Assert.DoesNotContain(h, c => c is '0' or '1' or '3' or 'a' or 'e');
        }
    }

    [Fact]
    public void SecretBase64_WrapsLongValuesLikeKustomize()
    {
        Assert.Equal("eQ==", Generators.Base64Lines("y"u8.ToArray()));
        var wrapped = Generators.Base64Lines(new byte[60]);
        Assert.Equal(80 + 2, wrapped.Length);
        Assert.EndsWith("\n", wrapped, StringComparison.Ordinal);
        Assert.Equal(70, wrapped.IndexOf('\n', StringComparison.Ordinal));
    }
}
