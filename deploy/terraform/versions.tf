terraform {
  required_version = ">= 1.5.0"

  required_providers {
    # 6.19 is the first release whose runtime list accepts nodejs24.x.
    aws = {
      source  = "hashicorp/aws"
      version = ">= 6.19.0"
    }
    archive = {
      source  = "hashicorp/archive"
      version = ">= 2.4.0"
    }
  }
}
