namespace Fleet.KubeSim.Store;

/// <summary>
/// One stored object: its JSON, plus a memo of the last server-side apply that produced (or left)
/// exactly this version, so that re-applying the same configuration — what a GitOps agent does on
/// every drift check — is answered without re-running the merge. Any other write replaces the object
/// and so forgets the memo. A struct kept inline in its resource's sorted list: a million objects
/// cost no extra object headers.
/// </summary>
/// <param name="Json">The object as UTF-8 JSON.</param>
/// <param name="ApplyHash">
/// The first 64 bits of the SHA-256 of the apply (manager, options, body) that left this version; 0 when
/// none did. The manager is part of the hash, so no string is kept per object.
/// </param>
internal readonly record struct StoredObject(byte[] Json, ulong ApplyHash = 0);
