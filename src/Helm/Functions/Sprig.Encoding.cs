using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Fleet.Helm.Formats;
using Fleet.Helm.Template;

namespace Fleet.Helm.Functions;

internal static partial class Sprig
{
    private static void RegisterEncoding(Dictionary<string, TemplateFunc> f)
    {
        f["b64enc"] = S1(s => Convert.ToBase64String(Utf8.GetBytes(s)));
        f["b64dec"] = S1(s =>
        {
            try
            {
                return Utf8.GetString(Convert.FromBase64String(s));
            }
            catch (FormatException)
            {
                return $"illegal base64 data at input byte {FirstBadBase64(s)}";
            }
        });
        f["b32enc"] = S1(s => Base32Encode(Utf8.GetBytes(s)));
        f["b32dec"] = S1(s => Base32Decode(s) is { } b ? Utf8.GetString(b) : "illegal base32 data at input byte 0");
        f["sha1sum"] = S1(s => Convert.ToHexStringLower(SHA1.HashData(Utf8.GetBytes(s))));
        f["sha256sum"] = S1(s => Convert.ToHexStringLower(SHA256.HashData(Utf8.GetBytes(s))));
        f["sha512sum"] = S1(s => Convert.ToHexStringLower(SHA512.HashData(Utf8.GetBytes(s))));
        f["adler32sum"] = S1(s => Adler32(Utf8.GetBytes(s)).ToString(CultureInfo.InvariantCulture));
        f["toPrettyJson"] = F1(v => PrettyJson(v, escapeHtml: true));
        f["mustToPrettyJson"] = f["toPrettyJson"];
        f["toRawJson"] = F1(v => RawJson(v));
        f["mustToRawJson"] = f["toRawJson"];
        f["mustToJson"] = F1(GoJson.Marshal);
        f["mustFromJson"] = S1(s =>
        {
            try
            {
                return GoJson.Unmarshal(s);
            }
            catch (System.Text.Json.JsonException e)
            {
                throw new GoFuncException(e.Message);
            }
        });
        f["urlParse"] = S1(UrlParse);
        f["urlJoin"] = F1(d => UrlJoin(GoValues.Map(d)));
    }

    private static int FirstBadBase64(string s)
    {
        for (var i = 0; i < s.Length; i++)
        {
            if (!(char.IsAsciiLetterOrDigit(s[i]) || s[i] is '+' or '/' or '='))
            {
                return i;
            }
        }

        return s.Length - (s.Length % 4);
    }

    private static string RawJson(object? v)
    {
        var json = GoJson.Marshal(v);
        return json.Replace("\\u003c", "<", StringComparison.Ordinal).Replace("\\u003e", ">", StringComparison.Ordinal).Replace("\\u0026", "&", StringComparison.Ordinal);
    }

    private static string PrettyJson(object? v, bool escapeHtml)
    {
        var compact = escapeHtml ? GoJson.Marshal(v) : RawJson(v);
        using var doc = System.Text.Json.JsonDocument.Parse(compact);
        var sb = new StringBuilder();
        WritePretty(sb, compact, doc.RootElement, 0);
        return sb.ToString();
    }

    private static void WritePretty(StringBuilder sb, string source, System.Text.Json.JsonElement e, int indent)
    {
        switch (e.ValueKind)
        {
            case System.Text.Json.JsonValueKind.Object:
                var props = e.EnumerateObject().ToList();
                if (props.Count == 0)
                {
                    sb.Append("{}");
                    return;
                }

                sb.Append("{\n");
                for (var i = 0; i < props.Count; i++)
                {
                    sb.Append(' ', indent + 2).Append(GoJson.QuoteString(props[i].Name, escapeHtml: true)).Append(": ");
                    WritePretty(sb, source, props[i].Value, indent + 2);
                    sb.Append(i + 1 < props.Count ? ",\n" : "\n");
                }

                sb.Append(' ', indent).Append('}');
                return;
            case System.Text.Json.JsonValueKind.Array:
                var items = e.EnumerateArray().ToList();
                if (items.Count == 0)
                {
                    sb.Append("[]");
                    return;
                }

                sb.Append("[\n");
                for (var i = 0; i < items.Count; i++)
                {
                    sb.Append(' ', indent + 2);
                    WritePretty(sb, source, items[i], indent + 2);
                    sb.Append(i + 1 < items.Count ? ",\n" : "\n");
                }

                sb.Append(' ', indent).Append(']');
                return;
            default:
                sb.Append(e.GetRawText());
                return;
        }
    }

    private static uint Adler32(byte[] data)
    {
        uint a = 1, b = 0;
        foreach (var d in data)
        {
            a = (a + d) % 65521;
            b = (b + a) % 65521;
        }

        return (b << 16) | a;
    }

    private const string Base32Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

    private static string Base32Encode(byte[] data)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < data.Length; i += 5)
        {
            var chunk = new byte[5];
            var n = Math.Min(5, data.Length - i);
            Array.Copy(data, i, chunk, 0, n);
            ulong bits = 0;
            foreach (var c in chunk)
            {
                bits = (bits << 8) | c;
            }

            var chars = (int)Math.Ceiling(n * 8 / 5.0);
            for (var j = 0; j < 8; j++)
            {
                sb.Append(j < chars ? Base32Alphabet[(int)((bits >> (35 - (j * 5))) & 31)] : '=');
            }
        }

        return sb.ToString();
    }

    private static byte[]? Base32Decode(string s)
    {
        var trimmed = s.TrimEnd('=');
        var output = new List<byte>();
        ulong buffer = 0;
        var bits = 0;
        foreach (var c in trimmed)
        {
            var v = Base32Alphabet.IndexOf(c, StringComparison.Ordinal);
            if (v < 0)
            {
                return null;
            }

            buffer = (buffer << 5) | (uint)v;
            bits += 5;
            if (bits >= 8)
            {
                output.Add((byte)(buffer >> (bits - 8)));
                bits -= 8;
            }
        }

        return output.ToArray();
    }

    private static Dictionary<string, object?> UrlParse(string s)
    {
        if (!Uri.TryCreate(s, UriKind.RelativeOrAbsolute, out var uri))
        {
            throw new GoFuncException($"unable to parse url: {s}");
        }

        var m = GoValues.NewMap();
        if (uri.IsAbsoluteUri)
        {
            m["scheme"] = uri.Scheme;
            m["host"] = uri.IsDefaultPort || s.Contains("://" + uri.Host + "/", StringComparison.Ordinal) || s.EndsWith("://" + uri.Host, StringComparison.Ordinal) ? uri.Host : uri.Host + ":" + uri.Port.ToString(CultureInfo.InvariantCulture);
            m["hostname"] = uri.Host;
            m["path"] = Uri.UnescapeDataString(uri.AbsolutePath);
            m["query"] = uri.Query.TrimStart('?');
            m["opaque"] = "";
            m["fragment"] = Uri.UnescapeDataString(uri.Fragment.TrimStart('#'));
            m["userinfo"] = uri.UserInfo;
        }
        else
        {
            m["scheme"] = "";
            m["host"] = "";
            m["hostname"] = "";
            m["path"] = s;
            m["query"] = "";
            m["opaque"] = "";
            m["fragment"] = "";
            m["userinfo"] = "";
        }

        return m;
    }

    private static string UrlJoin(IDictionary<string, object?> d)
    {
        string Get(string k) => d.TryGetValue(k, out var v) && v is not null ? StrVal(v) : "";
        var sb = new StringBuilder();
        if (Get("scheme").Length > 0)
        {
            sb.Append(Get("scheme")).Append(':');
        }

        if (Get("opaque").Length > 0)
        {
            sb.Append(Get("opaque"));
        }
        else
        {
            if (Get("scheme").Length > 0 || Get("host").Length > 0 || Get("userinfo").Length > 0)
            {
                sb.Append("//");
                if (Get("userinfo").Length > 0)
                {
                    sb.Append(Get("userinfo")).Append('@');
                }

                sb.Append(Get("host"));
            }

            var path = Get("path");
            if (path.Length > 0 && path[0] != '/' && Get("host").Length > 0)
            {
                sb.Append('/');
            }

            sb.Append(path);
        }

        if (Get("query").Length > 0)
        {
            sb.Append('?').Append(Get("query"));
        }

        if (Get("fragment").Length > 0)
        {
            sb.Append('#').Append(Get("fragment"));
        }

        return sb.ToString();
    }

    private static void RegisterTypes(Dictionary<string, TemplateFunc> f)
    {
        f["typeOf"] = F1(GoValues.TypeName);
        f["typeIs"] = F2((t, v) => GoValues.Str(t) == GoValues.TypeName(v));
        f["typeIsLike"] = F2((t, v) => GoValues.Str(t) == GoValues.TypeName(v) || GoValues.Str(t) == "*" + GoValues.TypeName(v));
        f["kindOf"] = F1(GoValues.KindName);
        f["kindIs"] = F2((t, v) => GoValues.Str(t) == GoValues.KindName(v));
        f["deepEqual"] = F2((x, y) => DeepEqual(x, y));
        f["empty"] = F1(v => !GoValues.IsTrue(v));
        f["default"] = TemplateFunc.Variadic(1, a => a.Length < 2 || !GoValues.IsTrue(a[1]) ? a[0] : a[1]);
        f["coalesce"] = TemplateFunc.Variadic(0, a => a.FirstOrDefault(GoValues.IsTrue));
        f["all"] = TemplateFunc.Variadic(0, a => a.All(GoValues.IsTrue));
        f["any"] = TemplateFunc.Variadic(0, a => a.Length > 0 && a.Any(GoValues.IsTrue));
        f["ternary"] = F3((t, fv, c) => c is bool b ? (b ? t : fv) : throw new GoArgException($"wrong type for value; expected bool; got {GoValues.TypeName(c)}"));
        f["fail"] = S1(msg => throw new GoFuncException(msg));
        f["semver"] = S1(s => SemVer.TryParse(s) ?? throw new GoFuncException("Invalid Semantic Version"));
        f["semverCompare"] = S2((c, v) => SemVer.Satisfies(c, SemVer.TryParse(v) ?? throw new GoFuncException("Invalid Semantic Version")));
        f["uuidv4"] = TemplateFunc.Fixed(0, _ => Guid.NewGuid().ToString());
    }
}
