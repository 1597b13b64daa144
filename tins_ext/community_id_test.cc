// CommunityIdV1 against the values the Community ID spec and Zeek's own tests publish
// (community-id-spec baseline; Zeek testing/btest/bifs/community_id_v1.zeek), both
// directions, and with a seed.
#include "tins_ext/community_id.h"

#include <catch2/catch.hpp>

namespace tcpfollow {
namespace {

Endpoint Ep(const char* ip, uint16_t port) { return {IpAddress::FromString(ip), port}; }

TEST_CASE("CommunityIdV1: published TCP values, either direction, with a seed", "[community_id]") {
  CHECK(CommunityIdV1(Ep("1.2.3.4", 1122), Ep("5.6.7.8", 3344)) ==
        "1:wCb3OG7yAFWelaUydu0D+125CLM=");
  CHECK(CommunityIdV1(Ep("5.6.7.8", 3344), Ep("1.2.3.4", 1122)) ==
        "1:wCb3OG7yAFWelaUydu0D+125CLM=");
  CHECK(CommunityIdV1(Ep("1.2.3.4", 1122), Ep("5.6.7.8", 3344), kIpProtoTcp, 1) ==
        "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk=");
  CHECK(CommunityIdV1(Ep("1.2.3.4", 1122), Ep("5.6.7.8", 3344), kIpProtoUdp) ==
        "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=");
}

TEST_CASE("CommunityIdV1: mixed families give none", "[community_id]") {
  CHECK(CommunityIdV1(Ep("1.2.3.4", 1), Ep("::1", 2)).empty());
}

}  // namespace
}  // namespace tcpfollow
