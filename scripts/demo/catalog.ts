/**
 * The demo company's fixed catalog: four sales regions in their own time zones, products in five
 * categories (each with its own price and cost spread), and the sales reps of each region. The
 * same seed gives the same ids, names and prices on every start.
 */
import { between, cents, pick, prng, type Random, uuidFrom } from "./random.ts";

export type Region = "NA" | "EMEA" | "APAC" | "LATAM";
export type Segment = "Enterprise" | "SMB" | "Consumer";
export type Category = "Software" | "Hardware" | "Services" | "Accessories" | "Training";

export interface RegionSpec {
  name: string;
  /** Hours from UTC of the region's business day (fixed: the demo ignores daylight saving). */
  utcOffset: number;
  /** Share of the company's orders. */
  share: number;
  /** Sales reps working the region. */
  reps: number;
}

export const REGIONS: Record<Region, RegionSpec> = {
  NA: { name: "North America", utcOffset: -6, share: 0.4, reps: 6 },
  EMEA: { name: "Europe, Middle East & Africa", utcOffset: 1, share: 0.3, reps: 5 },
  APAC: { name: "Asia-Pacific", utcOffset: 8, share: 0.2, reps: 4 },
  LATAM: { name: "Latin America", utcOffset: -3, share: 0.1, reps: 2 },
};
export const REGION_CODES = Object.keys(REGIONS) as Region[];

/** "a|b|c" → ["a", "b", "c"]: long lists of names, one line each. */
const words = (list: string) => list.split("|");

interface CategorySpec {
  /** Unit price range (log-uniform within it: many cheap items, a few expensive ones). */
  price: [number, number];
  /** Unit cost as a share of the price. */
  costRatio: [number, number];
  /** How much each segment favours the category. */
  appeal: Record<Segment, number>;
  names: string[];
}

export const CATEGORIES: Record<Category, CategorySpec> = {
  Software: {
    price: [49, 1_200],
    costRatio: [0.08, 0.25],
    appeal: { Enterprise: 3, SMB: 2, Consumer: 0.6 },
    names: words(
      "Analytics Suite|Backup Pro|Security Cloud|CRM Seat|Design Studio|Dev Toolkit|Office Plan|VPN Pro|Password Vault|Video Editor",
    ),
  },
  Hardware: {
    price: [89, 2_400],
    costRatio: [0.55, 0.78],
    appeal: { Enterprise: 1.5, SMB: 1.5, Consumer: 1.2 },
    names: words(
      "Laptop 14|Laptop 16|Monitor 27|Docking Station|Mini PC|Tablet 11|NAS 4-Bay|Router AX|Workstation|Conference Camera",
    ),
  },
  Services: {
    price: [150, 4_500],
    costRatio: [0.45, 0.65],
    appeal: { Enterprise: 2.5, SMB: 1, Consumer: 0.1 },
    names: words(
      "Onboarding|Premium Support|Migration Package|Health Check|Managed Backup|Consulting Day|Audit|Custom Integration|Device Setup|Data Recovery",
    ),
  },
  Accessories: {
    price: [9, 180],
    costRatio: [0.3, 0.5],
    appeal: { Enterprise: 0.6, SMB: 1.2, Consumer: 3 },
    names: words(
      "USB-C Cable|Wireless Mouse|Keyboard|Headset|Webcam HD|Laptop Sleeve|Charger 65W|Stand|Screen Protector|Travel Hub",
    ),
  },
  Training: {
    price: [39, 900],
    costRatio: [0.25, 0.45],
    appeal: { Enterprise: 1, SMB: 0.8, Consumer: 0.5 },
    names: words(
      "Admin Course|Analytics Basics|Security Awareness|Power User|Certification Exam|Workshop|Webinar Pass|Bootcamp|Team Coaching|Exam Voucher",
    ),
  },
};
export const CATEGORY_NAMES = Object.keys(CATEGORIES) as Category[];

export interface Product {
  id: string;
  name: string;
  category: Category;
  unitPrice: number;
  unitCost: number;
}
export interface SalesRep {
  id: string;
  name: string;
  region: Region;
}
export interface Catalog {
  products: Product[];
  reps: SalesRep[];
  repsByRegion: Record<Region, SalesRep[]>;
}

export const FIRST_NAMES = words(
  "Ana|Ben|Chen|Dana|Emre|Fatima|Goran|Hana|Ivan|Julia|Kofi|Lea|Mateo|Nora|Omar|Priya|Quinn|Rosa|Sven|Tariq|Uma|Viktor|Wen|Yusuf|Zoe|Aiko|Bruno|Carmen|Deepak|Elif|Hiro|Ines",
);
export const LAST_NAMES = words(
  "Almeida|Brown|Costa|Dubois|Eriksson|Fischer|Garcia|Haddad|Ito|Jensen|Kim|Lopez|Mendes|Nakamura|Okafor|Petrov|Rossi|Schmidt|Tanaka|Weber|Silva|Chen|Novak|Singh|Moreau|Kowalski|Ortiz|Park",
);
export const COMPANY_WORDS = words(
  "Acme|Globex|Initech|Umbrella|Stark|Wayne|Hooli|Vandelay|Soylent|Tyrell|Cyberdyne|Wonka|Aperture|Oscorp|Monarch|Nakatomi|Blue Sun|Northwind|Contoso|Fabrikam|Tailspin|Litware|Adventure|Proseware|Woodgrove",
);
export const COMPANY_KINDS = words(
  "Logistics|Health|Foods|Energy|Labs|Media|Bank|Retail|Systems|Partners|Studios|Works|Motors|Capital|Pharma|Telecom",
);

export function personName(random: Random): string {
  return `${pick(FIRST_NAMES, random)} ${pick(LAST_NAMES, random)}`;
}

/** The fixed catalog (products and reps); customers arrive over time (see customers.ts). */
export function demoCatalog(seed = 0x9e15e): Catalog {
  const random = prng(seed);
  const products: Product[] = [];
  for (const category of CATEGORY_NAMES) {
    const spec = CATEGORIES[category];
    for (const name of spec.names) {
      const price = Math.exp(between(random, Math.log(spec.price[0]), Math.log(spec.price[1])));
      const unitPrice = cents(Math.max(1, Math.round(price)) - 0.01);
      products.push({
        id: uuidFrom(random),
        name,
        category,
        unitPrice,
        unitCost: cents(unitPrice * between(random, ...spec.costRatio)),
      });
    }
  }
  const reps: SalesRep[] = [];
  const repsByRegion = Object.fromEntries(REGION_CODES.map((r) => [r, [] as SalesRep[]])) as Record<
    Region,
    SalesRep[]
  >;
  for (const region of REGION_CODES) {
    for (let i = 0; i < REGIONS[region].reps; i++) {
      const rep = { id: uuidFrom(random), name: personName(random), region };
      reps.push(rep);
      repsByRegion[region].push(rep);
    }
  }
  return { products, reps, repsByRegion };
}
