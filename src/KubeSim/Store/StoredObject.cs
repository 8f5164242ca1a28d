namespace Fleet.KubeSim.Store;

/// <summary>
/// One stored object: its JSON, plus a memo of the last server-side apply that produced (or left)
/// exactly this version, so that re-applying the same configuration — what a GitOps agent does on
/// every drift check — is answered without re-running the merge. Any other write replaces the object
/// and so forgets the memo.
/// </summary>
internal sealed class StoredObject(byte[] json)
{
    public byte[] Json { get; } = json;

    public string? ApplyManager { get; set; }

    public UInt128 ApplyHash { get; set; }
}
