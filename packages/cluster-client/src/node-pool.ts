import type { Member } from '@engram/ring';
import { NodeClient, type NodeClientOptions } from './node-client.js';

/** One client per member, created on first use and closed when the member leaves. */
export class NodePool {
  private readonly clients = new Map<string, NodeClient>();

  constructor(private readonly options: NodeClientOptions) {}

  get(member: Member): NodeClient {
    let client = this.clients.get(member.id);
    if (client && client.member.address !== member.address) {
      client.close();
      client = undefined;
    }
    if (!client) {
      client = new NodeClient(member, this.options);
      this.clients.set(member.id, client);
    }
    return client;
  }

  /** Keeps the clients of these members, closes the others. */
  retain(members: readonly Member[]): void {
    const keep = new Set(members.map((m) => m.id));
    for (const [id, client] of this.clients) {
      if (!keep.has(id)) {
        client.close();
        this.clients.delete(id);
      }
    }
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }
}
