using System.Net;
using System.Text;
using Fleet.KubeSim.Tests.Support;
using Google.Protobuf;

namespace Fleet.KubeSim.Tests.Api;

/// <summary>Behaviour learned from the real kube-apiserver that the differential tests do not reach (they skip without it).</summary>
public sealed class FidelityTests(SimFixture sim) : IClassFixture<SimFixture>
{
    private const string ConfigMaps = "api/v1/namespaces/default/configmaps";

    private static byte[] Protobuf(string apiVersion, string kind, byte[] raw)
    {
        var typeMeta = new MemoryStream();
        using (var t = new CodedOutputStream(typeMeta, leaveOpen: true))
        {
            t.WriteTag(1, WireFormat.WireType.LengthDelimited);
            t.WriteString(apiVersion);
            t.WriteTag(2, WireFormat.WireType.LengthDelimited);
            t.WriteString(kind);
        }

        var body = new MemoryStream();
        body.Write("k8s\0"u8);
        using (var u = new CodedOutputStream(body, leaveOpen: true))
        {
            u.WriteTag(1, WireFormat.WireType.LengthDelimited);
            u.WriteBytes(ByteString.CopyFrom(typeMeta.ToArray()));
            u.WriteTag(2, WireFormat.WireType.LengthDelimited);
            u.WriteBytes(ByteString.CopyFrom(raw));
        }

        return body.ToArray();
    }

    private static async Task<HttpResponseMessage> Send(KubeClient k, HttpMethod method, string path, byte[] body, string contentType)
    {
        using var request = new HttpRequestMessage(method, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return await k.Http.SendAsync(request);
    }

    [Fact]
    public async Task Protobuf_ConfigMapIsDecoded()
    {
        using var k = sim.NewCluster();
        var meta = new MemoryStream();
        using (var m = new CodedOutputStream(meta, leaveOpen: true))
        {
            m.WriteTag(1, WireFormat.WireType.LengthDelimited);
            m.WriteString("from-proto");
            m.WriteTag(2, WireFormat.WireType.LengthDelimited);
            m.WriteString(string.Empty);
        }

        var entry = new MemoryStream();
        using (var e = new CodedOutputStream(entry, leaveOpen: true))
        {
            e.WriteTag(1, WireFormat.WireType.LengthDelimited);
            e.WriteString("mode");
            e.WriteTag(2, WireFormat.WireType.LengthDelimited);
            e.WriteString("fast");
        }

        var raw = new MemoryStream();
        using (var r = new CodedOutputStream(raw, leaveOpen: true))
        {
            r.WriteTag(1, WireFormat.WireType.LengthDelimited);
            r.WriteBytes(ByteString.CopyFrom(meta.ToArray()));
            r.WriteTag(2, WireFormat.WireType.LengthDelimited);
            r.WriteBytes(ByteString.CopyFrom(entry.ToArray()));
        }

        using var response = await Send(k, HttpMethod.Post, ConfigMaps, Protobuf("v1", "ConfigMap", raw.ToArray()), "application/vnd.kubernetes.protobuf");
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var got = await k.Get($"{ConfigMaps}/from-proto");
        Assert.Equal("fast", got.Str("data.mode"));
        Assert.Null(got.Node("metadata.generateName"));
    }

    [Fact]
    public async Task Protobuf_WithoutTheMagicNumber_Is400()
    {
        using var k = sim.NewCluster();
        using var response = await Send(k, HttpMethod.Post, ConfigMaps, "{}"u8.ToArray(), "application/vnd.kubernetes.protobuf");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("magic number", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Protobuf_OfAKindNoGeneratorSends_Is415NamingTheKind()
    {
        using var k = sim.NewCluster();
        using var response = await Send(k, HttpMethod.Post, "api/v1/namespaces/default/services", Protobuf("v1", "Service", []), "application/vnd.kubernetes.protobuf");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Contains("v1 Service", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task FieldValidation_WarnDropsUnknownFieldsWithAWarningEach()
    {
        using var k = sim.NewCluster();
        using var response = await Send(k, HttpMethod.Post, ConfigMaps,
            Encoding.UTF8.GetBytes("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"w"},"data":{"a":"b"},"extra":1}"""), "application/json");
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(["299 - \"unknown field \\\"extra\\\"\""], response.Headers.GetValues("Warning"));
        Assert.Null((await k.Get($"{ConfigMaps}/w")).Node("extra"));
    }

    [Fact]
    public async Task FieldValidation_StrictPatch_Is422NamingThePatch()
    {
        using var k = sim.NewCluster();
        await k.Post(ConfigMaps, """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"p"}}""");
        var r = await k.Patch($"{ConfigMaps}/p?fieldValidation=Strict", """{"spec":{}}""", "application/merge-patch+json");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, r.Status);
        Assert.Equal("patch", r.Str("details.causes.0.field"));
        Assert.Contains("strict decoding error: unknown field \"spec\"", r.Str("message"));
    }

    [Fact]
    public async Task FieldValidation_UnknownMode_Is400()
    {
        using var k = sim.NewCluster();
        var r = await k.Post($"{ConfigMaps}?fieldValidation=Loud", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}}""");
        Assert.Equal(HttpStatusCode.BadRequest, r.Status);
    }

    [Fact]
    public async Task Scale_OfAKindWithoutOne_Is404()
    {
        using var k = sim.NewCluster();
        await k.Post(ConfigMaps, """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"s"}}""");
        var r = await k.Get($"{ConfigMaps}/s/scale");
        Assert.Equal(HttpStatusCode.NotFound, r.Status);
    }

    [Fact]
    public async Task Generation_DeploymentCountsAnnotationsButNotLabels()
    {
        using var k = sim.NewCluster();
        const string Path = "apis/apps/v1/namespaces/default/deployments/web";
        await k.Apply(Path, Manifests.Deployment("default", "web"), "fleet");
        var labelled = await k.Patch(Path, """{"metadata":{"labels":{"x":"1"}}}""", "application/merge-patch+json");
        Assert.Equal(1, labelled.Node("metadata.generation")!.GetValue<long>());
        var annotated = await k.Patch(Path, """{"metadata":{"annotations":{"x":"1"}}}""", "application/merge-patch+json");
        Assert.Equal(2, annotated.Node("metadata.generation")!.GetValue<long>());
    }

    [Fact]
    public async Task TypeErrors_AreRejectedOnCreatePatchAndApply()
    {
        using var k = sim.NewCluster();
        const string Path = "apis/apps/v1/namespaces/default/deployments/web";
        var created = await k.Post("apis/apps/v1/namespaces/default/deployments", """{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"paused":"yes"}}""");
        Assert.Equal(HttpStatusCode.BadRequest, created.Status);
        Assert.EndsWith("json: cannot unmarshal string into Go struct field DeploymentSpec.spec.paused of type bool", created.Str("message"));

        await k.Apply(Path, Manifests.Deployment("default", "web"), "fleet");
        var patched = await k.Patch(Path, """{"spec":{"replicas":"x"}}""", "application/merge-patch+json");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, patched.Status);
        Assert.Equal("patch", patched.Str("details.causes.0.field"));

        var applied = await k.Apply(Path, """{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":"x"}}""", "other");
        Assert.Equal(HttpStatusCode.InternalServerError, applied.Status);
        Assert.EndsWith(".spec.replicas: expected numeric (int or float), got string", applied.Str("message"));
    }
}
