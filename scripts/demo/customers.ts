/**
 * The demo's customers: a base that bought before the history began, and new ones arriving with
 * orders from then on. A returning order picks a customer in proportion to how often they have
 * bought already (a Pólya urn, which gives the long tail real shops see: most customers buy once
 * or twice, a few often); businesses start with more weight, so enterprise accounts reorder most.
 */
import {
  COMPANY_KINDS,
  COMPANY_WORDS,
  personName,
  REGION_CODES,
  REGIONS,
  type Region,
  type Segment,
} from "./catalog.ts";
import { pick, type Random, uuidFrom } from "./random.ts";
import type { Channel } from "./rhythm.ts";

export interface Customer {
  id: string;
  name: string;
  segment: Segment;
  region: Region;
  /** When the customer was created (epoch ms): their first order, or before the history. */
  since: number;
}

/** Chance that an order comes from a customer never seen before. */
const NEW_SHARE: Record<Channel, number> = { business: 0.25, consumer: 0.5 };
/** Weight a customer starts with in the urn (each order adds one). */
const START_WEIGHT: Record<Segment, number> = { Enterprise: 4, SMB: 1.5, Consumer: 1 };
const ENTERPRISE_SHARE = 0.3;
const SUFFIX: Record<Region, string[]> = {
  NA: ["Inc", "LLC", "Corp"],
  EMEA: ["GmbH", "Ltd", "BV", "SA", "AB"],
  APAC: ["Pty", "KK", "Pte", "Ltd"],
  LATAM: ["SA", "Ltda", "SRL"],
};

function nameFor(segment: Segment, region: Region, random: Random): string {
  if (segment === "Consumer") return personName(random);
  const base = `${pick(COMPANY_WORDS, random)} ${pick(COMPANY_KINDS, random)}`;
  return segment === "Enterprise" ? `${base} Group` : `${base} ${pick(SUFFIX[region], random)}`;
}

export class CustomerBase {
  private readonly random: Random;
  /** Per region and channel: one entry per unit of weight (whole units; fractions by chance). */
  private readonly urns = new Map<string, Customer[]>();

  constructor(random: Random) {
    this.random = random;
  }

  /** Customers who bought before `at` (the history's start), for returning orders from day one. */
  seedBase(count: number, at: number): Customer[] {
    const created: Customer[] = [];
    for (let i = 0; i < count; i++) {
      const region = this.regionByShare();
      const channel: Channel = this.random() < 0.45 ? "business" : "consumer";
      created.push(this.create(region, channel, at));
    }
    return created;
  }

  /** The customer of an order in `region` through `channel` at `at`, and whether they are new. */
  next(region: Region, channel: Channel, at: number): { customer: Customer; isNew: boolean } {
    const urn = this.urns.get(`${region}|${channel}`);
    if (!urn || urn.length === 0 || this.random() < NEW_SHARE[channel]) {
      return { customer: this.create(region, channel, at), isNew: true };
    }
    const customer = urn[Math.floor(this.random() * urn.length)]!;
    urn.push(customer);
    return { customer, isNew: false };
  }

  private create(region: Region, channel: Channel, at: number): Customer {
    const segment: Segment =
      channel === "consumer" ? "Consumer" : this.random() < ENTERPRISE_SHARE ? "Enterprise" : "SMB";
    const customer: Customer = {
      id: uuidFrom(this.random),
      name: nameFor(segment, region, this.random),
      segment,
      region,
      since: at,
    };
    const key = `${region}|${channel}`;
    let urn = this.urns.get(key);
    if (!urn) {
      urn = [];
      this.urns.set(key, urn);
    }
    const weight = START_WEIGHT[segment];
    const copies = Math.floor(weight) + (this.random() < weight % 1 ? 1 : 0);
    for (let i = 0; i < copies; i++) urn.push(customer);
    return customer;
  }

  private regionByShare(): Region {
    let r = this.random();
    for (const region of REGION_CODES) {
      r -= REGIONS[region].share;
      if (r < 0) return region;
    }
    return "NA";
  }
}
