namespace Fleet.Abstractions.Resources;

/// <summary>A webhook endpoint that triggers fetches: the fields of Flux's <c>notification.toolkit.fluxcd.io/v1</c> Receiver.</summary>
public sealed record ReceiverSpec
{
    /// <summary><c>github</c>, <c>gitlab</c>, <c>generic</c> or <c>generic-hmac</c>.</summary>
    public string Type { get; init; } = "";
    public List<string>? Events { get; init; }
    public List<CrossNamespaceObjectReference> Resources { get; init; } = [];

    /// <summary>A Secret whose <c>token</c> is the shared secret (HMAC key or plain token).</summary>
    public LocalObjectReference SecretRef { get; init; } = new();
    public bool Suspend { get; init; }
}

public sealed record ReceiverStatus
{
    public long ObservedGeneration { get; init; }
    public List<Condition>? Conditions { get; init; }

    /// <summary><c>/hook/&lt;sha256 digest&gt;</c>: unguessable without the token.</summary>
    public string? WebhookPath { get; init; }
}
