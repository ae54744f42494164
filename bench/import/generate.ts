import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

/**
 * A recipients CSV of `rows` distinct, valid US numbers (phone + 3 columns),
 * written in the formats people type them, with some quoted cells. Numbers are
 * built from area codes and exchanges that libphonenumber accepts, so the
 * E.164 form is known without validating (the reference load needs it).
 */
const AREAS = [
  201, 202, 203, 205, 206, 207, 208, 209, 210, 212, 213, 214, 215, 216, 217, 218, 219, 224, 225, 228, 229, 231, 234, 239, 240, 248, 251, 252,
  253, 254, 256, 260, 262, 267, 269, 270, 276, 281, 301, 302, 303, 304, 305, 307, 308, 309, 310, 312, 313, 314, 315, 316, 317, 318, 319, 320,
  321, 323, 330, 334, 336, 337, 339, 347, 351, 352, 360, 361, 386, 401, 402, 404, 405, 406, 407, 408, 409, 410, 412, 413, 414, 415, 417, 419,
  423, 425, 434, 435, 440, 443, 469, 478, 479, 480, 484, 501, 502, 503, 504, 505, 507, 508, 509, 510, 512, 513, 515, 516, 517, 518, 520, 530,
  540, 541, 551, 559, 561, 562, 563, 567, 570, 571, 573, 574, 580, 585, 586, 601, 602, 603, 605, 606, 607, 608, 609, 610, 612, 614, 615, 616,
  617, 618, 619, 620, 623, 626, 630, 631, 636, 641, 646, 650, 651, 660, 661, 662, 678, 682, 701, 702, 703, 704, 706, 707, 708, 712, 713, 714,
  715, 716, 717, 718, 719, 720, 724, 727, 731, 732, 734, 740, 754, 757, 760, 763, 765, 770, 772, 773, 774, 775, 781, 785, 786, 801, 802, 803,
  804, 805, 806, 808, 810, 812, 813, 814, 815, 816, 817, 818, 828, 830, 831, 832, 843, 845, 847, 848, 850, 856, 857, 858, 859, 860, 862, 863,
  864, 865, 870, 878, 901, 903, 904, 906, 907, 908, 909, 910, 912, 913, 914, 915, 916, 917, 918, 919, 920, 925, 928, 931, 936, 937, 940, 941,
  947, 949, 951, 952, 954, 956, 970, 971, 972, 973, 978, 979, 980, 985, 989,
];
const EXCHANGES: number[] = [];
for (let x = 200; x < 1000; x++) if (x % 100 !== 11 && ![555, 950, 958, 959, 976].includes(x)) EXCHANGES.push(x);

const FIRST = ['Ann', 'Bob', 'Carla', 'Dmitri', 'Emma', 'Farid', 'Grace', 'Hiro', 'Inès', 'José', 'Kofi', 'Lena', 'Mateo', 'Nora', 'Olu', 'Priya'];
const LAST = ['Smith', 'Garcia', 'Nguyen', 'Okafor', 'Müller', 'Rossi', "O'Brien", 'Smith, Jr.', 'Kim', 'Silva'];
const CITY = ['New York', 'Los Angeles', 'Chicago', 'Houston', 'Phoenix', 'San Francisco, CA', 'Seattle', 'Denver', 'Boston', 'Miami'];

export function numberFor(i: number): { digits: string; e164: string } {
  const area = AREAS[i % AREAS.length]!;
  const rest = Math.floor(i / AREAS.length);
  const exchange = EXCHANGES[rest % EXCHANGES.length]!;
  const line = Math.floor(rest / EXCHANGES.length) * 137 + 1000 + (i % 97);
  const digits = `${area}${exchange}${String(line % 10_000).padStart(4, '0')}`;
  return { digits, e164: `+1${digits}` };
}

function typed(digits: string, i: number): string {
  const a = digits.slice(0, 3);
  const b = digits.slice(3, 6);
  const c = digits.slice(6);
  switch (i % 4) {
    case 0:
      return `+1 ${a} ${b} ${c}`;
    case 1:
      return `(${a}) ${b}-${c}`;
    case 2:
      return `${a}.${b}.${c}`;
    default:
      return digits;
  }
}

function cell(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export interface GeneratedRow {
  e164: string;
  first: string;
  last: string;
  city: string;
}

export function rowFor(i: number): GeneratedRow & { typed: string } {
  const { digits, e164 } = numberFor(i);
  return { e164, typed: typed(digits, i), first: FIRST[i % FIRST.length]!, last: LAST[(i >> 4) % LAST.length]!, city: CITY[(i >> 2) % CITY.length]! };
}

/** Write the CSV (header on line 1, row i on line i + 2). */
export async function writeRecipientsCsv(file: string, rows: number): Promise<void> {
  const out = createWriteStream(file);
  out.write('phone,first_name,last_name,city\n');
  let chunk = '';
  for (let i = 0; i < rows; i++) {
    const r = rowFor(i);
    chunk += `${r.typed},${cell(r.first)},${cell(r.last)},${cell(r.city)}\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
}
