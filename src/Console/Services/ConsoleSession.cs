using Fleet.Gateway.Services;

namespace Fleet.WebConsole.Services;

/// <summary>
/// Who signed in to one browser tab (one Blazor circuit): the API token, checked by the same
/// <see cref="IApiAuthenticator"/> as the REST and gRPC APIs, and the <see cref="Caller"/> it stands for. Reads use
/// that caller; every action authenticates the token again, so a revoked or expired token stops acting at once.
/// </summary>
internal sealed class ConsoleSession(IApiAuthenticator authenticator)
{
    private string? _token;

    /// <summary>The signed-in caller, or null: then the console shows the sign-in form and nothing else.</summary>
    public Caller? Caller { get; private set; }

    /// <summary>Raised when the caller changes (sign-in, sign-out, a token that stopped working).</summary>
    public event Action? Changed;

    /// <summary>Checks <paramref name="token"/> and signs in with it; returns why not (never echoing the token), or null.</summary>
    public async Task<string?> SignInAsync(string? token, CancellationToken ct)
    {
        token = token?.Trim();
        if (string.IsNullOrEmpty(token))
        {
            return "enter an API token";
        }
        try
        {
            Caller = await authenticator.AuthenticateAsync(token, ct);
            _token = token;
        }
        catch (ApiException ex) when (ex.Kind == ApiErrorKind.Unauthenticated)
        {
            Caller = null;
            _token = null;
            return ex.Message;
        }
        Changed?.Invoke();
        return null;
    }

    /// <summary>The token to keep in the tab's session storage, so that a reload stays signed in.</summary>
    public string? Token => _token;

    public void SignOut()
    {
        Caller = null;
        _token = null;
        Changed?.Invoke();
    }

    /// <summary>The caller for an action, authenticated again from the token; signs out when the token no longer works.</summary>
    public async Task<Caller> ActingCallerAsync(CancellationToken ct)
    {
        if (_token is null)
        {
            throw new ApiException(ApiErrorKind.Unauthenticated, "sign in with an API token first");
        }
        try
        {
            Caller = await authenticator.AuthenticateAsync(_token, ct);
            return Caller;
        }
        catch (ApiException ex) when (ex.Kind == ApiErrorKind.Unauthenticated)
        {
            SignOut();
            throw;
        }
    }
}
