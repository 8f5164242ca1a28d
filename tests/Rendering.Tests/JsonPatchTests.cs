using System.Text.Json.Nodes;
using Fleet.Rendering.Transforms;

namespace Fleet.Rendering.Tests;

public sealed class JsonPatchTests
{
    private static JsonObject Doc() => JsonNode.Parse("""{"a":{"b":[1,2,3]},"c":"x","d/e":1,"f~g":2}""")!.AsObject();

    private static JsonObject Apply(string ops) => JsonPatch.Apply(Doc(), JsonNode.Parse(ops)!.AsArray(), "test");

    [Theory]
    [InlineData("""[{"op":"add","path":"/n","value":1}]""", """{"a":{"b":[1,2,3]},"c":"x","d/e":1,"f~g":2,"n":1}""")]
    [InlineData("""[{"op":"add","path":"/a/b/1","value":9}]""", """{"a":{"b":[1,9,2,3]},"c":"x","d/e":1,"f~g":2}""")]
    [InlineData("""[{"op":"add","path":"/a/b/-","value":4}]""", """{"a":{"b":[1,2,3,4]},"c":"x","d/e":1,"f~g":2}""")]
    [InlineData("""[{"op":"remove","path":"/a/b/0"}]""", """{"a":{"b":[2,3]},"c":"x","d/e":1,"f~g":2}""")]
    [InlineData("""[{"op":"replace","path":"/c","value":"y"}]""", """{"a":{"b":[1,2,3]},"c":"y","d/e":1,"f~g":2}""")]
    [InlineData("""[{"op":"move","from":"/c","path":"/z"}]""", """{"a":{"b":[1,2,3]},"d/e":1,"f~g":2,"z":"x"}""")]
    [InlineData("""[{"op":"copy","from":"/a/b/2","path":"/c"}]""", """{"a":{"b":[1,2,3]},"c":3,"d/e":1,"f~g":2}""")]
    [InlineData("""[{"op":"test","path":"/c","value":"x"},{"op":"remove","path":"/d~1e"},{"op":"remove","path":"/f~0g"}]""", """{"a":{"b":[1,2,3]},"c":"x"}""")]
    public void Operations_FollowRfc6902(string ops, string expected)
    {
        Assert.Equal(expected, Apply(ops).ToJsonString());
    }

    [Theory]
    [InlineData("""[{"op":"replace","path":"/missing/deeper","value":1}]""", "does not exist")]
    [InlineData("""[{"op":"remove","path":"/a/b/7"}]""", "does not exist")]
    [InlineData("""[{"op":"test","path":"/c","value":"nope"}]""", "test failed")]
    [InlineData("""[{"op":"frobnicate","path":"/c"}]""", "unknown op")]
    [InlineData("""[{"op":"add","path":"/c"}]""", "lacks 'value'")]
    [InlineData("""[{"op":"add","path":"c","value":1}]""", "must start with '/'")]
    public void InvalidOperations_FailWithOperationIndex(string ops, string message)
    {
        var ex = Assert.Throws<RenderException>(() => Apply(ops));
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
        Assert.Contains("operation 0", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InPlace_ChangesTheDocument_CopyModeDoesNot()
    {
        var ops = JsonNode.Parse("""[{"op":"replace","path":"/c","value":"y"},{"op":"add","path":"/a/b/-","value":4}]""")!.AsArray();
        var doc = Doc();
        var copied = JsonPatch.Apply(doc, ops, "test");
        Assert.Equal(Doc().ToJsonString(), doc.ToJsonString());

        var inPlace = JsonPatch.Apply(doc, ops, "test", inPlace: true);
        Assert.Same(doc, inPlace);
        Assert.Equal(copied.ToJsonString(), inPlace.ToJsonString());
    }
}
