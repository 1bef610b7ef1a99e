/**
 * Azure public-cloud regions (physical, generally available) by the name ARM uses (`location`). config.ts
 * rejects any other `location`, because a typo otherwise surfaces only after the resource group request
 * fails, or worse, a logical region such as `europe` is accepted by some resource types and not others.
 *
 * Source: `az account list-locations --query "[?metadata.regionType=='Physical'].name" --output tsv`
 * (the Azure CLI lists the regions ARM knows), as of 2025. To refresh, run that command and replace the list;
 * a region opened since then is rejected until it is added here.
 */
export const AZURE_REGIONS_AS_OF = "2025";

export const AZURE_REGIONS: readonly string[] = [
    // Americas
    "eastus", "eastus2", "centralus", "northcentralus", "southcentralus", "westcentralus", "westus", "westus2", "westus3",
    "canadacentral", "canadaeast", "brazilsouth", "brazilsoutheast", "mexicocentral", "chilecentral",
    // Europe
    "northeurope", "westeurope", "uksouth", "ukwest", "francecentral", "francesouth", "germanywestcentral", "germanynorth",
    "swedencentral", "norwayeast", "norwaywest", "switzerlandnorth", "switzerlandwest", "italynorth", "polandcentral", "spaincentral",
    // Middle East and Africa
    "uaenorth", "uaecentral", "qatarcentral", "israelcentral", "southafricanorth", "southafricawest",
    // Asia Pacific
    "eastasia", "southeastasia", "japaneast", "japanwest", "koreacentral", "koreasouth", "centralindia", "southindia", "westindia",
    "jioindiawest", "jioindiacentral", "australiaeast", "australiasoutheast", "australiacentral", "australiacentral2",
    "newzealandnorth", "indonesiacentral", "malaysiawest",
];
