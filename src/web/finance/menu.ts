import type { MenuItem } from '../layout.js';

/** The finance console's menu. */
export const financeMenu: MenuItem[] = [
  { href: '/finance/review', key: 'fin.nav.review' },
  { href: '/finance/batches', key: 'fin.nav.batches' },
  { href: '/finance/statements', key: 'fin.nav.statements' },
  { href: '/finance/exceptions', key: 'fin.nav.exceptions' },
  { href: '/finance/reports/schemes', key: 'fin.nav.schemes' },
  { href: '/finance/reports/equity', key: 'fin.nav.equity' },
];
