// The demo layer's public surface: `corral demo flash-sale` (runFlashSaleDemo and its flag
// definitions for the CLI), and the pieces the stampede benchmark reuses.

export { runFlashSaleDemo, flashSale, type FlashSaleReport } from './flash-sale.js';
export { FLASH_SALE_FLAGS, parseFlashSaleFlags, type FlashSaleFlags, type FlashSaleSettings } from './flags.js';
export { openCluster, freePortRange, killOnExit, CORRAL_MAIN, type CacheCluster } from './cluster.js';
export { Histogram } from './histogram.js';
export { barChart, niceMax } from './chart.js';
