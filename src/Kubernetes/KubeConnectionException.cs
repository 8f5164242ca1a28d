namespace Fleet.Kubernetes;

/// <summary>Why a cluster could not be talked to at the transport level.</summary>
public enum ConnectionFailure
{
    /// <summary>Connection refused, reset, DNS failure or time-out.</summary>
    Unreachable,

    /// <summary>The TLS handshake failed: untrusted or mismatched server certificate, or the client certificate was refused.</summary>
    Tls,
}

/// <summary>The request never got an HTTP answer. The message names the server and the cause, never a credential.</summary>
public sealed class KubeConnectionException : Exception
{
    public KubeConnectionException(ConnectionFailure failure, string message, Exception? inner = null)
        : base(message, inner) => Failure = failure;

    public KubeConnectionException() : this(ConnectionFailure.Unreachable, "cluster unreachable") { }

    public KubeConnectionException(string message) : this(ConnectionFailure.Unreachable, message) { }

    public KubeConnectionException(string message, Exception inner) : this(ConnectionFailure.Unreachable, message, inner) { }

    public ConnectionFailure Failure { get; }
}
